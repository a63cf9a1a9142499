// Files the Studio sends to its job (a dataset, a checkpoint; through the page's transport,
// lib/socket.js): the sentence saying why one was refused.

/**
 * Why a file was refused, without its name when the reason begins with it (the message
 * names the file already).
 * @param {string} name
 * @param {any} e
 */
export function reason(name, e) {
  const why = String(e && e.message ? e.message : e);
  return why.startsWith(`${name}: `) ? why.slice(name.length + 2) : why;
}
