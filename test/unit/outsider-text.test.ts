// swarm's own writes carry no outsider text unescaped: a PR swarm opens has swarm's title (the ticket's is
// quoted in the body, fenced so Markdown shows it verbatim), and a notification built from agent or ticket
// text can ping no one on Slack or Discord (and carries no secret).
import { describe, expect, it } from 'vitest';
import { fenced, prBody, prTitle } from '../../src/orchestrator/pr-text.js';
import { discordContent, slackText } from '../../src/util/mention-safe.js';
import { Notifier } from '../../src/log/notify.js';
import type { SwarmEvent } from '../../src/core/events.js';
import { redactKnown, registerSecrets } from '../../src/util/secrets.js';

const gh = (title: string) => ({ key: '12', number: 12, identifier: '#12', title });

describe('PR title and body', () => {
  it("an issue titled `touch pwned` $(id) gets swarm's own title; the original is fenced in the body", () => {
    const t = gh('`touch pwned` $(id)');
    expect(prTitle(t)).toBe('swarm: #12 touch-pwned-id');
    const body = prBody(t, null);
    expect(body.startsWith('Closes #12\n\nTicket title, as written there:\n\n```text\n`touch pwned` $(id)\n```\n\n')).toBe(true);
  });

  it('uses the Linear identifier, and a fence longer than any backtick run in the title', () => {
    expect(prTitle({ key: 'ENG-12', number: 12, identifier: 'ENG-12', title: 'Fix: the <b>login</b> @here' })).toBe('swarm: ENG-12 fix-the-b-login-b-here');
    expect(prBody({ key: 'ENG-12', number: 12, identifier: 'ENG-12', title: 'x' }, null)).toMatch(/^Resolves ENG-12\n/);
    expect(prTitle({ key: 'odd key', number: 0, identifier: 'odd key`$(x)', title: '' })).toBe('swarm: odd-key-x ticket');
    expect(fenced('a ```` b')).toBe('`````text\na ```` b\n`````');
    expect(fenced('line\u001b]52;c;x\u0007')).toBe('```text\nline ]52;c;x \n```');
  });
});

describe('mentions in notifications', () => {
  const hostile = 'boom @everyone @here @channel <!channel> <!here> <!everyone> <@U024BE7LH> <!subteam^S01> <#C123> <@&4242> <@!99> <https://evil.example|click> a&b';

  it('Slack text: & < > escaped as Slack documents, broadcast words defused', () => {
    const s = slackText(hostile);
    expect(s).not.toMatch(/<|>/);
    expect(s).toContain('&lt;!channel&gt;');
    expect(s).toContain('&lt;@U024BE7LH&gt;');
    expect(s).toContain('a&amp;b');
    expect(s).not.toMatch(/@(everyone|here|channel)/);
  });

  it('Discord content: @everyone/@here and <@…>, <@&…>, <#…> defused', () => {
    const d = discordContent(hostile);
    expect(d).not.toMatch(/@(everyone|here)/);
    expect(d).not.toMatch(/<[@#][!&]?\d/);
    expect(d).toContain('a&b'); // Discord has no entities: nothing else changes
  });

  it('the Notifier posts both forms, allowed_mentions {parse: []}, and masks secrets', async () => {
    const secret = 'notifySecretValue-123456';
    registerSecrets([secret]);
    const bodies: any[] = [];
    const fetchImpl = (async (_url: string, init: { body: string }) => {
      bodies.push(JSON.parse(init.body));
      return new Response('', { status: 204 });
    }) as unknown as typeof fetch;
    const n = new Notifier({ url: () => 'https://hooks.example/T/B/x', fetchImpl, redact: (t) => redactKnown(t) });
    const ev = { at: '', type: 'ticket_failed', ticket: '#4', key: '4', reason: `${hostile} ${secret} ghp_${'a'.repeat(36)}`, failures: 3 } as unknown as SwarmEvent;
    n.listener({ event: ev, message: null });
    await n.flush();
    expect(bodies).toHaveLength(1);
    const [b] = bodies;
    expect(b.allowed_mentions).toEqual({ parse: [] });
    expect(b.text).toContain('&lt;!channel&gt;');
    expect(b.content).toContain('<@\u200bU024BE7LH>');
    for (const v of [b.text, b.content]) {
      expect(v).not.toContain(secret);
      expect(v).not.toContain('ghp_aaaa');
      expect(v).toContain('***');
    }
  });
});
