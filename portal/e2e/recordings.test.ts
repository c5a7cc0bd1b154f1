// A call's recording in a real browser: the call timeline plays it in Chromium's own <audio>
// element, which loads and seeks with Range requests (answered 206 by callhook) through the
// organization's recording route and the session cookie; size, length and a download are shown.
import type { Response } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { mp3File, wavFile } from '../../test/fixtures/audio.ts';
import { pushRecording } from '../../test/helpers/recordings.ts';
import { ingest } from '../../test/helpers/service.ts';
import { screenshot } from './browser.ts';
import { see, usePortal } from './fixture.ts';

const portal = usePortal();

describe.skipIf(portal.missing)('portal recordings (browser)', () => {
  it('plays a call’s recording in the timeline and seeks with Range requests answered 206', async () => {
    const { t, org, page } = await portal.signedIn();
    const at = t.clock.now();
    await ingest(t.api, org.ingestToken, {
      steps: [
        { type: 'started', callId: 'rec-call', direction: 'inbound', from: '+31612345678', to: '500', user: '500', at },
        { type: 'answered', callId: 'rec-call', at: at + 4_000 },
        { type: 'ended', callId: 'rec-call', at: at + 604_000 },
      ],
    });
    // 10 min at 8 kHz: 9.6 MB, far more than a browser preloads for the start of it (a short file
    // may be read whole before the seek, and then the seek needs no request); pushed after the end.
    const wav = wavFile(600);
    t.clock.advance(610_000);
    expect((await pushRecording(t, org.ingestToken, 'rec-call', wav)).status).toBe(201);

    const media: Array<{ range: string | undefined; status: number; contentRange: string | null }> = [];
    page.on('response', (response: Response) => {
      if (!response.url().endsWith('/calls/rec-call/recording')) return;
      media.push({ range: response.request().headers().range, status: response.status(), contentRange: response.headers()['content-range'] ?? null });
    });
    await page.goto(`${t.url}/portal/orgs/${org.orgId}/calls/rec-call`);
    const step = page.getByTestId('step-call.recording');
    const player = step.getByTestId('recording-player');
    await player.waitFor();
    expect(await see(player.getByTestId('recording-facts'), 'audio/wav · 9.6 MB · 10 min 00 s')).toBe('audio/wav · 9.6 MB · 10 min 00 s');

    // The browser's own player reads the length from the file.
    const audio = player.locator('audio');
    await expect.poll(() => audio.evaluate((el: HTMLAudioElement) => el.duration), { timeout: 10_000, message: 'the audio element has the duration' }).toBeCloseTo(600, 0);
    expect(await audio.evaluate((el: HTMLAudioElement) => el.error)).toBeNull();
    // Seek near the end: the browser asks for that part only, and gets it.
    await audio.evaluate((el: HTMLAudioElement) => {
      el.muted = true;
      el.currentTime = 550;
    });
    await expect.poll(() => audio.evaluate((el: HTMLAudioElement) => el.seeking), { timeout: 10_000 }).toBe(false);
    await expect.poll(() => media.filter((m) => m.status === 206).length, { timeout: 10_000, message: 'Range requests answered 206' }).toBeGreaterThanOrEqual(1);
    const partial = media.filter((m) => m.status === 206);
    for (const m of partial) {
      expect(m.range).toMatch(/^bytes=\d+-\d*$/);
      expect(m.contentRange).toMatch(/^bytes \d+-\d+\/\d+$/);
      expect(m.contentRange!.endsWith(`/${wav.length}`)).toBe(true);
    }
    // At least one asked for a part well into the file (the seek), not only for the start.
    expect(partial.some((m) => Number(/^bytes=(\d+)/.exec(m.range!)![1]) > wav.length / 2)).toBe(true);
    expect(media.every((m) => m.status === 200 || m.status === 206)).toBe(true);
    await screenshot(page, 'call-recording');

    // The download: the same bytes, as an attachment named after the call.
    const [download] = await Promise.all([page.waitForEvent('download'), player.getByTestId('recording-download').click()]);
    expect(download.suggestedFilename()).toBe('call-rec-call.wav');
    const path = await download.path();
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(path).equals(wav)).toBe(true);
  });

  it('plays an MP3 too, and shows a recording still being fetched', async () => {
    const { t, org, page } = await portal.signedIn();
    const at = t.clock.now();
    await ingest(t.api, org.ingestToken, { type: 'started', callId: 'mp3-call', direction: 'inbound', from: '+31612345678', to: '500', at });
    expect((await pushRecording(t, org.ingestToken, 'mp3-call', mp3File(5))).status).toBe(201);
    await page.goto(`${t.url}/portal/orgs/${org.orgId}/calls/mp3-call`);
    const audio = page.getByTestId('step-call.recording').locator('audio');
    await audio.waitFor();
    await expect.poll(() => audio.evaluate((el: HTMLAudioElement) => el.duration), { timeout: 10_000 }).toBeGreaterThan(4.5);
    expect(await audio.evaluate((el: HTMLAudioElement) => el.error)).toBeNull();

    // A recording step pointing at a PBX that is not there yet: the call says it is being fetched.
    await ingest(t.api, org.ingestToken, { type: 'started', callId: 'pending-call', direction: 'inbound', from: '+31612345678', to: '500', at });
    await ingest(t.api, org.ingestToken, { type: 'recording', callId: 'pending-call', url: 'http://127.0.0.1:9/not-there.wav' });
    await t.service.recordings.fetcher.tick();
    await page.goto(`${t.url}/portal/orgs/${org.orgId}/calls/pending-call`);
    expect(await see(page.getByTestId('recording-fetch'), /^Being fetched from the phone system \(tried 1×: could not fetch/)).toContain('tried 1×');
  });
});
