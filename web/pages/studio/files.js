// Files the Studio sends to the server (a dataset, a checkpoint): the upload, and the sentence
// saying why one was refused.

/**
 * Uploads a file; resolves with the server's JSON answer, rejects with its sentence saying why
 * it was refused.
 * @param {string} url
 * @param {File} file
 * @returns {Promise<any>}
 */
export async function postFile(url, file) {
  const r = await fetch(url, { method: 'POST', body: file });
  const body = await r.json().catch(() => ({ error: `the server answered ${r.status}` }));
  if (!r.ok) throw new Error(body.error || `the server answered ${r.status}`);
  return body;
}

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
