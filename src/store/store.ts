// The Store port: every read and write the engine and the API rely on, named by intent.
// Both implementations (sqlite/ and postgres/) pass the same contract suite (contract/).
// Decisions stay in the pure core: where a write depends on stored state, the caller hands in a
// synchronous, pure `plan`/`decide` function that the store runs inside its transaction.
import type { AppError } from '../errors.ts';
import type { CallEvent } from '../events/event.ts';
import type { EventType } from '../events/catalogue.ts';
import type { TrackedCall } from '../calls/tracker.ts';
import type { Attempt, AttemptOutcome, Delivery, DeliveryJob, DeliveryStatus, NewDelivery, ReplayableStatus } from '../delivery/delivery.ts';
import type { Webhook, WebhookPatch } from '../delivery/webhook.ts';
import type { ExhaustedContext, ExhaustionPolicy } from '../delivery/transitions.ts';
import type { Notification } from '../notify/notification.ts';
import type { ApiKey, Connection, DirectoryUser, Org, PhoneNumber } from '../tenancy/org.ts';
import type { CallUser } from '../calls/call.ts';
import type { OrgNumbers } from '../calls/call-numbers.ts';
import type { Account, Session } from '../tenancy/account.ts';
import type { OutcomeRules } from '../calls/outcome-rules.ts';
import type { StoreHealth } from './store-health.ts';
import type { NewRecordingFetch, Recording, RecordingFetch } from '../recordings/recording.ts';
import type { RecordingStore } from '../recordings/recording-store.ts';

export type { ExhaustedContext, ExhaustionPolicy };

export interface PageQuery {
  limit: number;
  /** Cursor: the last id of the previous page. */
  after?: string | undefined;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Whether the store can write (readiness); every part's failures of the store itself are typed and reported to it. */
  readonly health: StoreHealth;
  workers: WorkerStore;
  retention: RetentionStore;
  orgs: OrgStore;
  connections: ConnectionStore;
  apiKeys: ApiKeyStore;
  accounts: AccountStore;
  users: UserStore;
  numbers: NumberStore;
  webhooks: WebhookStore;
  calls: CallStore;
  deliveries: DeliveryStore;
  notifications: NotificationStore;
  meta: MetaStore;
  outcomeRules: OutcomeRulesStore;
  sipDialogs: SipDialogStore;
  recordings: RecordingIndex;
  /** Where the store itself keeps recordings' bytes (PostgreSQL: chunks), or null (SQLite: files in the data folder). */
  recordingBlobs: RecordingStore | null;
  changes: ChangeFeed;
  close(): Promise<void>;
}

/**
 * A committed change to what deliveries are sent with (delivery/webhook-changes.ts): the webhooks
 * named, or every webhook of the organizations named, are at settings version `version` or later
 * from now on. Versions only grow; a job built from an older version is stale and is not sent.
 */
export interface WebhookChange {
  version: number;
  webhookIds: string[];
  orgIds: string[];
}

/** What a change wrote, and the signal that tells every process about it. */
export interface Changed<T> {
  value: T;
  change: WebhookChange;
}

/**
 * Webhook changes, to every process: each is signalled once committed — at once in this process,
 * and on PostgreSQL through LISTEN/NOTIFY in every other — and each process acknowledges it once
 * it holds nothing built from the older settings.
 */
export interface ChangeFeed {
  /**
   * Calls `listener` with every committed change; with 'all' when changes may have been missed
   * (the feed's connection was (re)opened). Returns the unsubscribe function.
   */
  subscribe(listener: (change: WebhookChange | 'all') => void): () => void;
  /** This process (`owner`) holds nothing built from settings older than the change. */
  acknowledge(version: number, owner: string): Promise<void>;
  /**
   * Waits until `self` and every other process alive (a heartbeat within `staleAfterMs`; on SQLite
   * there is only `self`) have acknowledged the change, or `timeoutMs` passed (real time); answers
   * the processes that had not.
   */
  awaitAcknowledged(input: { version: number; self: string; now: number; staleAfterMs: number; timeoutMs: number }): Promise<string[]>;
}

/** The HEP source's per-dialog tracker state (JSON the store does not read). */
export interface SipDialogStore {
  load(connectionId: string, callId: string): Promise<unknown | null>;
  /** Keeps the state (null: forgets the dialog); `expiresAt` is when it needs a look without traffic. */
  save(connectionId: string, callId: string, state: unknown | null, now: number, expiresAt: number): Promise<void>;
  /** Dialogs whose `expiresAt` has passed (lost BYEs, forgetting), oldest first. */
  expired(now: number, limit: number): Promise<Array<{ connectionId: string; callId: string; state: unknown }>>;
}

export interface OutcomeRulesStore {
  /** The organization's rules, or null when it has none. */
  get(orgId: string): Promise<OutcomeRules | null>;
  /** Replaces the organization's rules. */
  put(orgId: string, rules: OutcomeRules, now: number): Promise<OutcomeRules>;
}

export type OrgPatch = Partial<Pick<Org, 'name' | 'domain' | 'plan' | 'notificationEmails' | 'defaultCountry'>>;

export interface OrgStore {
  /** Fails with CONFLICT when the domain is taken. */
  create(org: Org): Promise<Org>;
  get(id: string): Promise<Org | null>;
  list(page: PageQuery): Promise<Page<Org>>;
  /**
   * Changes the organization; when `holdDeliveries(before, after)` says so (its plan lost webhooks),
   * holds its open deliveries and changes all its webhooks, in the same transaction.
   */
  update(id: string, patch: OrgPatch, now: number, holdDeliveries?: (before: Org, after: Org) => boolean): Promise<{ org: Org; change: WebhookChange | null } | null>;
  /** Deletes the organization and everything it owns; null when there is no such organization. */
  delete(id: string): Promise<WebhookChange | null>;
}

export interface ConnectionStore {
  create(connection: Connection, tokenHash: string): Promise<Connection>;
  get(orgId: string, id: string): Promise<Connection | null>;
  list(orgId: string, page: PageQuery): Promise<Page<Connection>>;
  /** The live (not revoked) connection with this ingest-token hash, and its organization. */
  findByTokenHash(tokenHash: string): Promise<{ connection: Connection; org: Org } | null>;
  /** A connection (revoked or not) by id, and its organization. */
  findById(connectionId: string): Promise<{ connection: Connection; org: Org } | null>;
  /** The live connection whose HEP capture id this is, and its organization. */
  findByCaptureId(captureId: number): Promise<{ connection: Connection; org: Org } | null>;
  /** A live connection's name and HEP settings; CONFLICT when another live connection has the capture id. */
  update(orgId: string, id: string, patch: ConnectionPatch): Promise<Connection | null>;
  revoke(orgId: string, id: string, now: number): Promise<boolean>;
}

export type ConnectionPatch = Partial<Pick<Connection, 'name' | 'hep' | 'recordingSources'>>;

export interface ApiKeyStore {
  create(key: ApiKey, keyHash: string): Promise<ApiKey>;
  list(orgId: string, page: PageQuery): Promise<Page<ApiKey>>;
  /** The live key with this hash, and its organization. */
  findByHash(keyHash: string): Promise<{ key: ApiKey; org: Org } | null>;
  revoke(orgId: string, id: string, now: number): Promise<boolean>;
  touch(id: string, now: number): Promise<void>;
}

/** Portal accounts and their sessions (tenancy/account.ts). */
export interface AccountStore {
  /** Fails with CONFLICT when the e-mail is taken. */
  create(account: Account, passwordHash: string): Promise<Account>;
  get(id: string): Promise<Account | null>;
  /** By lower-case e-mail, with the password hash to check. */
  findByEmail(email: string): Promise<{ account: Account; passwordHash: string } | null>;
  /** All accounts, or one organization's; by id. */
  list(query: PageQuery & { orgId?: string | undefined }): Promise<Page<Account>>;
  /** How many operator accounts exist (the first one is made on first start). */
  countOperators(): Promise<number>;
  /** Replaces the password hash and ends the account's other sessions (all but `keepSession`, a token hash). */
  setPassword(id: string, passwordHash: string, keepSession: string | null): Promise<boolean>;
  /** Deletes the account and signs it out everywhere. */
  delete(id: string): Promise<boolean>;
  createSession(tokenHash: string, session: Session): Promise<void>;
  /** The live session with this token hash, and its account. */
  findSession(tokenHash: string, now: number): Promise<{ account: Account; session: Session } | null>;
  extendSession(tokenHash: string, expiresAt: number): Promise<void>;
  deleteSession(tokenHash: string): Promise<void>;
  /** Forgets sessions that have run out; answers how many. */
  deleteExpiredSessions(now: number): Promise<number>;
}

export type UserPatch = Partial<Pick<DirectoryUser, 'extension' | 'email' | 'name'>>;

export interface UserStore {
  /** Fails with CONFLICT when the id, extension or e-mail is taken in the organization. */
  create(user: DirectoryUser): Promise<DirectoryUser>;
  get(orgId: string, id: string): Promise<DirectoryUser | null>;
  list(orgId: string, page: PageQuery): Promise<Page<DirectoryUser>>;
  update(orgId: string, id: string, patch: UserPatch): Promise<DirectoryUser | null>;
  /** Deletes the user; a number assigned to them stays, unassigned. */
  delete(orgId: string, id: string): Promise<boolean>;
  /** Looks references up by user id, extension or e-mail (case-insensitive); unknown ones are left out. */
  resolve(orgId: string, refs: string[]): Promise<Map<string, CallUser>>;
}

/** `main: true` makes the number the main one (the previous main stops being it); there is no `main: false`. */
export type NumberPatch = { label?: string | null | undefined; userId?: string | null | undefined; main?: true | undefined };

/**
 * Errors, each naming its field: CONFLICT `number` (the organization has it), VALIDATION_FAILED
 * `userId` (no such user in the organization), CONFLICT `userId` (the user has another direct
 * number), CONFLICT `main` (deleting the main number while others remain).
 */
export interface NumberStore {
  /** `main` as given makes it the main number; the organization's first number is main whatever is given. */
  create(number: PhoneNumber): Promise<PhoneNumber>;
  get(orgId: string, id: string): Promise<PhoneNumber | null>;
  list(orgId: string, page: PageQuery): Promise<Page<PhoneNumber>>;
  update(orgId: string, id: string, patch: NumberPatch): Promise<PhoneNumber | null>;
  /** The main number can go only when it is the last one (mark another main first). */
  delete(orgId: string, id: string): Promise<boolean>;
  /** What a call falls back to: the main number, and the direct numbers of these users. */
  forCalls(orgId: string, userIds: string[]): Promise<OrgNumbers>;
}

/** One change of a webhook, applied in one transaction: settings, then state, then secret. */
export interface WebhookEdit {
  /** Fields to change; a key left out or undefined is not changed. */
  settings?: WebhookPatch | undefined;
  /** Enables (clearing the reason), or disables and holds what the webhook still owes; a webhook already in that state keeps it as it is. */
  state?: { enabled: true } | { enabled: false; reason: string } | undefined;
  /** A new signing secret; the current one keeps signing until `previousExpiresAt`. */
  secret?: { secret: string; previousExpiresAt: number } | undefined;
}

export interface WebhookStore {
  /** Takes its settings version from the store (the one given is ignored). */
  create(webhook: Webhook): Promise<Webhook>;
  get(orgId: string, id: string): Promise<Webhook | null>;
  list(orgId: string, page: PageQuery): Promise<Page<Webhook>>;
  /** Applies the edit and gives the webhook a new settings version; null when the organization has no such webhook. */
  change(orgId: string, id: string, edit: WebhookEdit, now: number): Promise<Changed<Webhook> | null>;
  /** Deletes the webhook with its deliveries and attempts; null when the organization has no such webhook. */
  delete(orgId: string, id: string): Promise<WebhookChange | null>;
  /** Each webhook's earliest scheduled attempt of its pending deliveries (one index seek each); webhooks with none are left out. */
  nextAttemptTimes(webhookIds: string[]): Promise<Map<string, number>>;
  /** Per organization, how many of its webhooks are failing (enabled, failed since their latest success) and disabled. */
  healthCounts(orgIds: string[]): Promise<Map<string, WebhookHealthCounts>>;
}

export interface WebhookHealthCounts {
  failing: number;
  disabled: number;
}

/** The outcome of one step of an ingest request, as answered to the phone system. */
export interface StepResult {
  callId: string;
  type: string;
  /** fetching: a recording step's file is being fetched; its event (`eventId`) comes once it is stored. */
  status: 'applied' | 'duplicate' | 'fetching';
  eventId: string;
  /** Accepted, but some webhooks do not get the call (it has no form in their dialect), by field. */
  warnings?: Array<{ field: string; detail: string }>;
}

export type IngestPlan =
  | { kind: 'rejected'; error: AppError }
  | {
      kind: 'accepted';
      /** Calls whose state changed. */
      calls: TrackedCall[];
      events: CallEvent[];
      /** One per matching webhook and event; `held` when the webhook is disabled. */
      deliveries: Array<NewDelivery & { held: boolean }>;
      results: StepResult[];
      /** Recording steps' fetch jobs, written with the rest. */
      fetches: NewRecordingFetch[];
      /** Stored recordings that joined their calls: their rows are written with the rest. */
      recordings: Recording[];
    };

/**
 * The directory an ingest plan reads, asked for up front so the store loads it with the calls (on
 * PostgreSQL in the same round trip) rather than in reads of their own before the transaction.
 */
export interface PlanReads {
  /** References to users (id, extension or e-mail), resolved as `UserStore.resolve` does. */
  userRefs: string[];
  /** The organization's outcome rules (else null). */
  rules: boolean;
  /** The organization's main number and the direct numbers of the resolved users (else none). */
  numbers: boolean;
}

export interface LoadedForPlan {
  calls: ReadonlyMap<string, TrackedCall>;
  webhooks: readonly Webhook[];
  org: Org;
  /** Reference → user, for each of `reads.userRefs` that names one. */
  users: ReadonlyMap<string, CallUser>;
  rules: OutcomeRules | null;
  numbers: OrgNumbers;
}

export interface ApplyStepsInput {
  orgId: string;
  connectionId: string;
  /** Every call the request touches, loaded before `plan` runs. */
  callIds: string[];
  now: number;
  /**
   * Fresh pending deliveries are leased to this dispatcher in the same transaction, to send at
   * once; null (an API-only process) leaves them for any worker, who is woken (onDue).
   */
  lease: { owner: string; until: number } | null;
  /** What else the plan reads from the organization's directory, loaded with the calls. */
  reads: PlanReads;
  /**
   * Pure and synchronous: runs inside the transaction on the loaded state — the organization as
   * it is now (its plan decides whether anything is delivered), its webhooks, the calls and `reads`.
   */
  plan(loaded: LoadedForPlan): IngestPlan;
  /** The fetch job these steps complete: marked done in the same transaction when the plan is accepted. */
  completesFetch?: string | undefined;
}

export interface ApplyStepsResult {
  plan: IngestPlan;
  /** Deliveries leased to the caller, to send at once. */
  fresh: DeliveryJob[];
}

export interface CallFilter {
  since?: number | undefined;
}

export interface CallStore {
  /** Calls + events + deliveries of one ingest request in one durable transaction. */
  applySteps(input: ApplyStepsInput): Promise<ApplyStepsResult>;
  list(orgId: string, filter: CallFilter, page: PageQuery): Promise<Page<TrackedCall>>;
  get(orgId: string, callId: string): Promise<TrackedCall | null>;
  events(orgId: string, callId: string): Promise<CallEvent[]>;
}

export interface DeliveryFilter {
  webhookId?: string | undefined;
  eventType?: EventType | undefined;
  callId?: string | undefined;
  status?: DeliveryStatus | undefined;
  since?: number | undefined;
}

export interface RecordResultsInput {
  outcomes: AttemptOutcome[];
  now: number;
  /** Successors released by these results are leased to the caller. */
  lease: { owner: string; until: number };
  /** Weighs the exhaustions the plan meets (delivery/disable-rule.ts has the service's). */
  onExhausted: ExhaustionPolicy;
}

export interface RecordResultsOutput {
  /** Successors now at the head of their call's chain, leased to the caller. */
  promoted: DeliveryJob[];
  /** Deliveries whose lease was lost before the result arrived: attempt kept, state untouched. */
  stale: string[];
  /** Each also signalled as a WebhookChange (ChangeFeed), so other processes stop sending for it. */
  disabledWebhooks: string[];
}

export interface DeliveryStore {
  get(orgId: string, id: string): Promise<Delivery | null>;
  list(orgId: string, filter: DeliveryFilter, page: PageQuery): Promise<Page<Delivery>>;
  attempts(orgId: string, deliveryId: string): Promise<Attempt[]>;
  /**
   * Claims pending deliveries due by `now` whose lease is free, at most `perWebhookLimit` per
   * webhook, none of the webhooks in `skipWebhookIds` (their lanes are full).
   */
  claimDue(input: { owner: string; now: number; leaseMs: number; limit: number; perWebhookLimit: number; skipWebhookIds?: string[] }): Promise<DeliveryJob[]>;
  /**
   * Records a batch of attempt results in one transaction: loads the state they meet, plans with
   * delivery/transitions.ts `planResults`, and applies the plan as it stands.
   */
  recordResults(input: RecordResultsInput): Promise<RecordResultsOutput>;
  /**
   * Extends leases this owner still holds (same version, still pending) to `until`, in one write;
   * answers the ids renewed. A lease taken by another meanwhile (an expired one may be) is not.
   */
  renewLeases(input: { owner: string; leases: Array<{ deliveryId: string; version: number }>; until: number }): Promise<string[]>;
  /** Lets go of leases this owner holds but will not use (overflow, shutdown): others may claim at once. */
  releaseLeases(owner: string, deliveryIds: string[]): Promise<void>;
  /**
   * Calls `listener` when deliveries became claimable without a lease (unleased fresh ones,
   * released leases, replays) — in this process, and on PostgreSQL in any process. Returns the
   * unsubscribe function.
   */
  onDue(listener: () => void): () => void;
  /** Leases one delivery for a manual attempt now; fails if it is in flight or waiting for its turn. */
  beginManualAttempt(input: { orgId: string; deliveryId: string; owner: string; leaseMs: number; now: number }): Promise<DeliveryJob>;
  /** Re-queues the webhook's failed/held deliveries created since `since`, in per-call order, with a fresh schedule. */
  replay(input: { orgId: string; webhookId: string; since: number; statuses: ReplayableStatus[]; now: number }): Promise<number>;
}

export interface NotificationStore {
  /** Pending notifications due by `now`, leased to `owner`. */
  claimDue(input: { owner: string; now: number; leaseMs: number; limit: number }): Promise<Notification[]>;
  markSent(id: string, now: number): Promise<void>;
  markLogged(id: string, now: number): Promise<void>;
  markFailed(id: string, error: string, nextAttemptAt: number | null): Promise<void>;
  list(orgId: string, page: PageQuery): Promise<Page<Notification>>;
}

export interface WorkerStore {
  /**
   * Records that this process is alive (and whether it dispatches), and answers how many
   * dispatching processes were alive within `staleAfterMs` — they share each webhook's in-flight cap.
   */
  beat(input: { owner: string; dispatches: boolean; now: number; staleAfterMs: number }): Promise<number>;
  /** This process is leaving (a clean stop). */
  leave(owner: string): Promise<void>;
}

export interface PurgeCounts {
  attempts: number;
  deliveries: number;
  events: number;
  calls: number;
}

export interface RetentionStore {
  /**
   * Deletes one batch (at most `limit` rows per table) of what is older than `before`: attempts,
   * finished deliveries (succeeded or failed, with their bodies), events no open delivery needs,
   * and ended calls. Never what is still owed (pending, waiting, held).
   */
  purge(input: { before: number; limit: number }): Promise<PurgeCounts>;
}

export interface MetaStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  /** Stores `value` unless the key has one; answers the value the key has now (a process starting at the same moment may have set it first). */
  init(key: string, value: string): Promise<string>;
}

/**
 * Recordings' metadata (their bytes are in a RecordingStore, src/recordings/recording-store.ts) and
 * the jobs that fetch them. A recording's row is written with the step that joins it to its call
 * (calls.applySteps), so no row ever names a file that is not whole.
 */
export interface RecordingIndex {
  /** The call's recording, purged or not; null when it has none. */
  forCall(orgId: string, callId: string): Promise<Recording | null>;
  /** By the key in its public links: the link is the credential, whatever organization it is of. */
  byLinkKey(linkKey: string): Promise<Recording | null>;
  /** The call's latest fetch job (how fetching its recording goes). */
  fetchForCall(orgId: string, callId: string): Promise<RecordingFetch | null>;
  /** Pending fetches due by `now` whose lease is free, leased to `owner` for `leaseMs`. */
  claimFetches(input: { owner: string; now: number; leaseMs: number; limit: number }): Promise<RecordingFetch[]>;
  /**
   * An attempt that failed: tried again at `nextAttemptAt`, or failed for good (null). Only while
   * `owner` holds the lease; answers whether it did.
   */
  fetchFailed(input: { id: string; owner: string; error: string; nextAttemptAt: number | null; now: number }): Promise<boolean>;
  /**
   * Retention, one batch: recordings made before `before` whose calls owe no delivery any more
   * (nothing pending, waiting or held links to them) are marked purged at `now`; answers how many.
   */
  markPurged(input: { before: number; now: number; limit: number }): Promise<number>;
  /** Purged recordings whose bytes are still to be deleted (a crash between marking and deleting leaves some). */
  unlinkedBlobs(limit: number): Promise<Array<{ id: string; orgId: string; blobKey: string }>>;
  /** The bytes of a purged recording are gone. */
  blobDeleted(id: string): Promise<void>;
  /** Finished fetch jobs (done or failed) last changed before `before`; answers how many went. */
  purgeFetches(input: { before: number; limit: number }): Promise<number>;
}
