// A command over a board's link that failed, one family for both kinds of link:
// the agent protocol (agent-client.ts) and the OpenThread CLI (drivers/ot-cli.ts).
// The board said no, did not answer in time, or its port went away; code that
// only cares which of the three catches these classes, not each link's own.
export class BoardLinkError extends Error {}
/** The board answered the command with an error. */
export class LinkRefusedError extends BoardLinkError {}
/** No answer within the command's wall-clock bound. */
export class LinkTimeoutError extends BoardLinkError {}
/** The board's port closed while the command waited. */
export class LinkGoneError extends BoardLinkError {}
