// Binary snapshot frames from the server: a u32 (little-endian) header length, the JSON
// header (padded to a multiple of 4 bytes), then little-endian f32 arrays in the order the
// header's `arrays` list names them.

/**
 * Decodes a frame into its header, with the arrays under `data` by name.
 * @param {ArrayBuffer} buf
 * @returns {{type: string, data: Record<string, Float32Array>, [key: string]: any}}
 */
export function decodeFrame(buf) {
  const view = new DataView(buf);
  const len = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, len)));
  /** @type {Record<string, Float32Array>} */
  const data = {};
  let at = 4 + len;
  for (const a of header.arrays) {
    const values = new Float32Array(a.length);
    for (let i = 0; i < a.length; i++) values[i] = view.getFloat32(at + 4 * i, true);
    data[a.name] = values;
    at += 4 * a.length;
  }
  header.data = data;
  return header;
}

/**
 * A message from a page's job, as either transport delivers it: a binary frame (arrays under
 * `data`) or JSON text — which has no arrays, and reads as a frame with none (`data` empty),
 * so a page can read `m.data.name` of any answer and find nothing rather than fail.
 * @param {string | ArrayBuffer} raw
 * @returns {{type: string, data: Record<string, Float32Array>, [key: string]: any}}
 */
export function decodeMessage(raw) {
  if (typeof raw !== 'string') return decodeFrame(raw);
  const msg = JSON.parse(raw);
  msg.data = {};
  return msg;
}
