/// The single-page UI served at `/`: pick an image, see it with the boxes drawn on a canvas and the JSON
/// response; a Faces tab posts two images to `/v1/faces/verify`. Self-contained (no external scripts/fonts).
enum WebPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>VisionZoo</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
  header { background: #1d2330; color: #fff; padding: 10px 18px; display: flex; gap: 18px; align-items: center; }
  header h1 { font-size: 18px; margin: 0; }
  .tabs button { background: none; border: 0; color: #b9c2d6; font-size: 14px; padding: 6px 10px; cursor: pointer; }
  .tabs button.active { color: #fff; border-bottom: 2px solid #4fa3ff; }
  main { padding: 16px 18px; }
  .row { display: flex; gap: 16px; align-items: flex-start; flex-wrap: wrap; }
  .panel { background: #fff; border-radius: 6px; padding: 12px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
  canvas { max-width: 100%; display: block; }
  pre { margin: 0; max-height: 70vh; overflow: auto; font-size: 12px; white-space: pre-wrap; word-break: break-all; }
  label { margin-right: 10px; }
  .status { color: #5b6475; margin: 8px 0; min-height: 1.4em; }
  .error { color: #b3261e; }
  table { border-collapse: collapse; margin-top: 8px; }
  td, th { padding: 2px 8px; text-align: left; border-bottom: 1px solid #eee; }
  .hidden { display: none; }
  .verdict { font-size: 20px; font-weight: 600; padding: 10px 14px; border-radius: 6px; margin-top: 12px; }
  .verdict.same { background: #e3f6e5; color: #1a6b2a; }
  .verdict.different { background: #fde7e5; color: #9c231b; }
  .verdict small { display: block; font-size: 13px; font-weight: 400; color: #3d4556; }
</style>
</head>
<body>
<header>
  <h1>VisionZoo</h1>
  <nav class="tabs">
    <button id="tab-detect" class="active" onclick="showTab('detect')">Detect</button>
    <button id="tab-faces" onclick="showTab('faces')">Faces</button>
  </nav>
  <span id="models" style="margin-left:auto;color:#b9c2d6"></span>
</header>
<main>
  <section id="detect">
    <div class="panel">
      <input type="file" id="file" accept="image/jpeg,image/png">
      <label>model <select id="model"></select></label>
      <label>conf <input id="conf" type="number" min="0" max="1" step="0.05" value="0.25" style="width:5em"></label>
      <label>iou <input id="iou" type="number" min="0" max="1" step="0.05" value="0.45" style="width:5em"></label>
      <button onclick="detect()">Detect</button>
      <div id="status" class="status"></div>
    </div>
    <div class="row" style="margin-top:12px">
      <div class="panel"><canvas id="canvas" width="640" height="360"></canvas><table id="table"></table></div>
      <div class="panel" style="flex:1;min-width:280px"><pre id="json">{}</pre></div>
    </div>
  </section>
  <section id="faces" class="hidden">
    <div class="panel">
      <label>image 1 <input type="file" id="face1" accept="image/jpeg,image/png"></label>
      <label>image 2 <input type="file" id="face2" accept="image/jpeg,image/png"></label>
      <label>threshold <input id="fthreshold" type="number" min="-1" max="1" step="0.01" placeholder="calibrated" style="width:7em"></label>
      <button onclick="verify()">Verify</button>
      <div id="fstatus" class="status"></div>
      <div id="verdict" class="verdict hidden"></div>
    </div>
    <div class="row" style="margin-top:12px">
      <div class="panel"><canvas id="fcanvas1" width="300" height="300"></canvas></div>
      <div class="panel"><canvas id="fcanvas2" width="300" height="300"></canvas></div>
      <div class="panel" style="flex:1;min-width:280px"><pre id="fjson">{}</pre></div>
    </div>
  </section>
</main>
<script>
const palette = ['#ff3838','#ff9d97','#ff701f','#ffb21d','#cfd231','#48f90a','#92cc17','#3ddb86','#1a9334','#00d4bb',
                 '#2c99a8','#00c2ff','#344593','#6473ff','#0018ec','#8438ff','#520085','#cb38ff','#ff95c8','#ff37c7'];
function showTab(name) {
  for (const t of ['detect', 'faces']) {
    document.getElementById(t).classList.toggle('hidden', t !== name);
    document.getElementById('tab-' + t).classList.toggle('active', t === name);
  }
}
function setStatus(id, text, isError) {
  const el = document.getElementById(id); el.textContent = text; el.className = 'status' + (isError ? ' error' : '');
}
async function loadModels() {
  try {
    const r = await fetch('/v1/models'); const j = await r.json();
    const sel = document.getElementById('model'); sel.innerHTML = '';
    for (const m of j.models.filter(m => m.task === 'detection')) {
      const o = document.createElement('option'); o.value = o.textContent = m.name; sel.appendChild(o);
    }
    const face = j.models.find(m => m.task === 'face-verification');
    const faceState = !face ? 'faces off' : face.loaded ? `faces: ${face.name} (threshold ${face.threshold})`
      : (face.error ? 'faces unavailable' : 'faces loading…');
    if (face && face.error) setStatus('fstatus', `face pipeline not loaded: ${face.error}`, true);
    document.getElementById('models').textContent = (j.ready ? 'ready' : 'loading models…') + ' · ' + faceState;
  } catch (e) { document.getElementById('models').textContent = 'server unreachable'; }
}
function readImage(file) {
  return new Promise((resolve, reject) => {
    const img = new Image(); img.onload = () => resolve(img); img.onerror = () => reject(new Error('the browser cannot display this file'));
    img.src = URL.createObjectURL(file);
  });
}
function textColor(hex) {
  const n = parseInt(hex.slice(1), 16), r = n >> 16, g = (n >> 8) & 255, b = n & 255;
  return 0.299 * r + 0.587 * g + 0.114 * b > 140 ? '#000' : '#fff';
}
function drawDetections(canvas, img, dets) {
  const scale = Math.min(1, 960 / img.naturalWidth);
  canvas.width = Math.round(img.naturalWidth * scale); canvas.height = Math.round(img.naturalHeight * scale);
  const g = canvas.getContext('2d'); g.drawImage(img, 0, 0, canvas.width, canvas.height);
  const lw = Math.max(2, Math.round(Math.min(canvas.width, canvas.height) / 250));
  g.font = `${Math.max(12, lw * 6)}px sans-serif`; g.textBaseline = 'top';
  for (const d of dets.slice().reverse()) {
    const [x1, y1, x2, y2] = d.box.map(v => v * scale); const c = palette[d.class_id % palette.length];
    g.strokeStyle = c; g.lineWidth = lw; g.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const text = `${d.label} ${d.score.toFixed(2)}`; const tw = g.measureText(text).width + 6; const th = Math.max(12, lw * 6) + 4;
    const ty = y1 - th < 0 ? y1 : y1 - th;
    g.fillStyle = c; g.fillRect(x1, ty, tw, th); g.fillStyle = textColor(c); g.fillText(text, x1 + 3, ty + 2);
  }
}
async function detect() {
  const file = document.getElementById('file').files[0];
  if (!file) { setStatus('status', 'choose an image first', true); return; }
  setStatus('status', 'detecting…');
  const q = new URLSearchParams({ model: document.getElementById('model').value || '',
    conf: document.getElementById('conf').value, iou: document.getElementById('iou').value });
  if (!document.getElementById('model').value) q.delete('model');
  try {
    const [img, r] = await Promise.all([readImage(file),
      fetch('/v1/detect?' + q, { method: 'POST', headers: { 'Content-Type': file.type || 'application/octet-stream' }, body: file })]);
    const j = await r.json();
    document.getElementById('json').textContent = JSON.stringify(j, null, 2);
    if (!r.ok) { setStatus('status', `HTTP ${r.status}: ${j.error}`, true); return; }
    drawDetections(document.getElementById('canvas'), img, j.detections);
    const t = document.getElementById('table');
    t.innerHTML = '<tr><th>label</th><th>score</th><th>box</th></tr>' + j.detections.map(d =>
      `<tr><td>${d.label}</td><td>${d.score.toFixed(3)}</td><td>${d.box.map(v => v.toFixed(0)).join(', ')}</td></tr>`).join('');
    setStatus('status', `${j.detections.length} objects in ${j.width}×${j.height}, inference ${j.timings_ms.inference.toFixed(1)} ms (${j.model})`);
  } catch (e) { setStatus('status', e.message, true); }
}
async function verify() {
  const f1 = document.getElementById('face1').files[0], f2 = document.getElementById('face2').files[0];
  if (!f1 || !f2) { setStatus('fstatus', 'choose two images', true); return; }
  setStatus('fstatus', 'verifying…');
  const form = new FormData(); form.append('image1', f1); form.append('image2', f2);
  const t = document.getElementById('fthreshold').value;
  const verdict = document.getElementById('verdict'); verdict.className = 'verdict hidden';
  try {
    const [i1, i2, r] = await Promise.all([readImage(f1), readImage(f2),
      fetch('/v1/faces/verify' + (t !== '' ? '?threshold=' + encodeURIComponent(t) : ''), { method: 'POST', body: form })]);
    const j = await r.json();
    document.getElementById('fjson').textContent = JSON.stringify(j, null, 2);
    const faces = r.ok ? j.faces : [null, null];
    drawFace(document.getElementById('fcanvas1'), i1, faces[0]);
    drawFace(document.getElementById('fcanvas2'), i2, faces[1]);
    if (!r.ok) { setStatus('fstatus', `HTTP ${r.status}: ${j.error}`, true); return; }
    verdict.className = 'verdict ' + (j.same ? 'same' : 'different');
    verdict.innerHTML = (j.same ? 'Same person' : 'Different people') +
      `<small>similarity ${j.similarity.toFixed(4)} ${j.same ? '>' : '≤'} threshold ${j.threshold} (${j.threshold_source})</small>`;
    setStatus('fstatus', `${j.detector} + ${j.recognizer}, ${j.timings_ms.total.toFixed(0)} ms` + (j.notes ? ' · ' + j.notes.join('; ') : ''));
  } catch (e) { setStatus('fstatus', e.message, true); }
}
// The image (turned as the pipeline used it: `rotation` quarter turns counter-clockwise) with the face box and
// the five landmarks.
function drawFace(c, img, face) {
  const k = face ? ((face.rotation % 4) + 4) % 4 : 0;
  const w = img.naturalWidth, h = img.naturalHeight, tw = k % 2 ? h : w, th = k % 2 ? w : h;
  const s = Math.min(1, 320 / tw, 320 / th);
  c.width = Math.round(tw * s); c.height = Math.round(th * s);
  const g = c.getContext('2d'); g.save();
  if (k === 1) { g.translate(0, c.height); g.rotate(-Math.PI / 2); }
  if (k === 2) { g.translate(c.width, c.height); g.rotate(Math.PI); }
  if (k === 3) { g.translate(c.width, 0); g.rotate(Math.PI / 2); }
  g.drawImage(img, 0, 0, w * s, h * s); g.restore();
  if (!face || !face.box) return;
  const b = face.box.map(v => v * s);
  g.strokeStyle = '#48f90a'; g.lineWidth = 3; g.strokeRect(b[0], b[1], b[2] - b[0], b[3] - b[1]);
  g.fillStyle = '#ff3838';
  for (const [x, y] of face.landmarks || []) { g.beginPath(); g.arc(x * s, y * s, 3, 0, 2 * Math.PI); g.fill(); }
}
loadModels();
</script>
</body>
</html>
"""#
}
