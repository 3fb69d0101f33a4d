// Chat text that cannot ping anyone. Notification messages quote agent and ticket text; a stranger who
// writes `@everyone`, `<!channel>` or `<@U024BE7LH>` there must not page a whole workspace.
// Slack ("Formatting text for app surfaces", docs.slack.dev): `&`, `<` and `>` are its control characters
// and must be sent as `&amp;`, `&lt;`, `&gt;` — which turns every `<!here>`, `<!channel>`, `<!everyone>`,
// `<@U…>`, `<!subteam^…>`, `<#C…>` and `<url|label>` into plain text.
// Discord (Execute Webhook, "Allowed Mentions Object", discord.com/developers/docs): `allowed_mentions:
// {parse: []}` suppresses `@everyone`, `@here`, `<@id>`, `<@!id>` and `<@&role>` pings (the notifier sends
// it); the text is defused as well (a zero-width space after `@` / `<@` / `<#`), so a relay that drops
// the field pings no one either.
const ZWSP = '\u200b';

/** Broadcast words that some clients (and Slack's legacy link_names) turn into mentions as plain text. */
const BROADCAST = /@(everyone|here|channel)\b/gi;

/** Slack `text`: control characters escaped, broadcast words defused. */
export function slackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(BROADCAST, `@${ZWSP}$1`);
}

/** Discord `content`: broadcast words and user/role/channel mention syntax defused. */
export function discordContent(text: string): string {
  return text.replace(BROADCAST, `@${ZWSP}$1`).replace(/<([@#])/g, `<$1${ZWSP}`);
}
