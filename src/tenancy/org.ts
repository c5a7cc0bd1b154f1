// Tenancy: an organization, the phone systems feeding it, its API keys and its directory.

export interface Org {
  id: string;
  name: string;
  /** Ringotel's organization domain, sent as `domain` in Ringotel bodies. Unique. */
  domain: string;
  plan: string;
  notificationEmails: string[];
  /** ISO 3166 alpha-2, for reading national numbers as E.164. */
  defaultCountry: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface Connection {
  id: string;
  orgId: string;
  name: string;
  hep: { captureId: number; authKey: string | null } | null;
  /**
   * Origins the operator trusts to hand out this connection's recordings (a PBX on a private
   * network): fetched without the public-address guard, with these credentials. Nothing else is.
   */
  recordingSources: RecordingSource[];
  createdAt: number;
  revokedAt: number | null;
}

/** `scheme://host[:port]`, and how callhook signs in to fetch from it. */
export interface RecordingSource {
  origin: string;
  auth: { kind: 'basic'; username: string; password: string } | { kind: 'bearer'; token: string } | null;
}

export interface ApiKey {
  id: string;
  orgId: string;
  name: string;
  /** The first characters of the key, so a person can tell keys apart. */
  prefix: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface DirectoryUser {
  orgId: string;
  /** The phone system's user id (sent as Ringotel `user_id`), or a generated `usr_…`. */
  id: string;
  extension: string | null;
  email: string | null;
  name: string | null;
  createdAt: number;
}

/**
 * One of the organization's numbers. A number assigned to a user is that user's direct number (the
 * number their calls come in on and present when the phone system names only the extension); the
 * main number (exactly one while the organization has any: the first added, until another is
 * marked) stands in for everyone else (calls/call-numbers.ts).
 */
export interface PhoneNumber {
  id: string;
  orgId: string;
  /** E.164. */
  number: string;
  label: string | null;
  /** The user whose direct number this is (one per user), or null. */
  userId: string | null;
  main: boolean;
  createdAt: number;
}
