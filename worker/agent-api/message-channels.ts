// Which channel a message is in, for a wait that names only the message: a fact that never changes, so this
// isolate may remember it (the room still checks the key, the channel and the message: room/access.ts).
const MAX_MESSAGES = 10_000;

const channels = new Map<string, string>();

export const channelOfMessage = (messageId: string) => channels.get(messageId);

export function rememberChannel(messageId: string, channelId: string) {
  if (channels.size >= MAX_MESSAGES) channels.delete(channels.keys().next().value!);
  channels.set(messageId, channelId);
}
