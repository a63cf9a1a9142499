// Turning and stepping through the 3D explorer's views: dragging a 3D view (or the arrow keys
// on a focused one) turns the shared camera; in any focused view, [ and ] (or , and .) step
// from point to point, each shown with its tooltip and found in every view, as hovering
// does; Escape lets go.

/**
 * @typedef {import('./views.js').View} View
 * @typedef {{yaw: number, pitch: number}} Camera
 */

/**
 * @param {Record<string, View>} views
 * @param {{camera: Camera, current: () => any, queueRender: () => void, setHover: (i: number|null, ev?: MouseEvent) => void}} opts
 */
export function bindViews(views, { camera, current, queueRender, setHover }) {
  for (const v of [views.input, views.recon, views.layered, views.latent]) {
    /** @type {{x: number, y: number}|null} */
    let drag = null;
    v.el.addEventListener('pointerdown', (ev) => {
      if (!v.is3d && !(v.name === 'latent' && current() && /** @type {any} */ (current()).latent === 3)) return;
      drag = { x: ev.clientX, y: ev.clientY };
      v.el.setPointerCapture(ev.pointerId);
      v.el.classList.add('dragging');
    });
    v.el.addEventListener('pointermove', (ev) => {
      if (!drag) return;
      camera.yaw += (ev.clientX - drag.x) * 0.01;
      camera.pitch = Math.max(-1.5, Math.min(1.5, camera.pitch + (ev.clientY - drag.y) * 0.01));
      drag = { x: ev.clientX, y: ev.clientY };
      queueRender();
    });
    const end = () => { drag = null; v.el.classList.remove('dragging'); };
    v.el.addEventListener('pointerup', end);
    v.el.addEventListener('pointercancel', end);
    // the keyboard too: a focused 3D view turns with the arrow keys
    v.el.setAttribute('tabindex', '0');
    v.el.addEventListener('keydown', (ev) => {
      const turn = { ArrowLeft: [-0.1, 0], ArrowRight: [0.1, 0], ArrowUp: [0, -0.1], ArrowDown: [0, 0.1] }[ev.key];
      if (!turn || (!v.is3d && !(v.name === 'latent' && current() && /** @type {any} */ (current()).latent === 3))) return;
      ev.preventDefault();
      camera.yaw += turn[0];
      camera.pitch = Math.max(-1.5, Math.min(1.5, camera.pitch + turn[1]));
      queueRender();
    });
  }
  // and points: in any focused view, [ and ] (or , and .) step from point to point, each shown
  // with its tooltip and found in every view, as hovering does; Escape lets go
  let stepped = -1;
  for (const v of Object.values(views)) {
    if (v.el.getAttribute('tabindex') !== '0') v.el.setAttribute('tabindex', '0');
    v.el.addEventListener('keydown', (ev) => {
      const s = current();
      if (!s) return;
      const dir = { ']': 1, '.': 1, '[': -1, ',': -1 }[ev.key];
      if (ev.key === 'Escape') {
        stepped = -1;
        setHover(null);
        return;
      }
      if (!dir) return;
      ev.preventDefault();
      stepped = (stepped + dir + s.n) % s.n;
      const dot = v.el.querySelector(`circle.pt:not(.input)[data-index="${stepped}"]`);
      const r = (dot || v.el).getBoundingClientRect();
      setHover(stepped, /** @type {MouseEvent} */ (/** @type {unknown} */ ({ clientX: r.left + r.width / 2, clientY: r.top + r.height / 2 })));
    });
    v.el.addEventListener('blur', () => {
      if (stepped >= 0) setHover(null);
      stepped = -1;
    });
  }
}
