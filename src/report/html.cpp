// HTML reports (report/html.hpp): a page shell with inline CSS, Chart.js and the report's
// JSON, plus a short script per report kind that turns the JSON into Chart.js figures.
#include "dojosim/report/html.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "dojosim/core/errors.hpp"
#include "dojosim/report/svg.hpp"

namespace dojosim::report {

namespace detail {
const std::string& chartjs_source();  // generated from libjs-chart.js (cmake/embed_js.cmake)
}

namespace {

using Json = nlohmann::ordered_json;

std::string escape(const std::string& s) {
  std::string o;
  for (const char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

// JSON safe inside <script>: no "</" that could close the element.
std::string script_json(const Json& j) {
  std::string s = j.dump();
  std::string o;
  o.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<' && i + 1 < s.size() && s[i + 1] == '/')
      o += "<\\";
    else
      o += s[i];
  }
  return o;
}

constexpr const char* kCss = R"css(
:root { --ink: #1a1a1a; --muted: #555; --rule: #d0d0d0; --bg: #fff; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink);
       background: var(--bg); margin: 0 auto; max-width: 1100px; padding: 1.5rem; }
header h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
header p { margin: 0; color: var(--muted); }
section.figure { margin: 1.5rem 0; padding: 1rem; border: 1px solid var(--rule); border-radius: 6px; break-inside: avoid; }
section.figure h2 { font-size: 1.1rem; margin: 0 0 .5rem; }
.chart { position: relative; height: 340px; }
.chart.tall { height: 460px; }
.chart.short { height: 180px; }
p.caption { color: var(--muted); font-size: .9rem; margin: .5rem 0 0; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid var(--rule); vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.svgbox svg { max-width: 100%; height: auto; }
#errors:empty { display: none; }
#errors { color: #b00020; border: 2px solid #b00020; padding: .5rem; }
footer { color: var(--muted); font-size: .8rem; margin-top: 2rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  section.figure { border: none; padding: 0; page-break-inside: avoid; }
  .chart { height: 300px; }
}
)css";

// Shared helpers: the palette, number formatting, a chart factory that marks its figure
// rendered, and error reporting into #errors.
constexpr const char* kCommonJs = R"js(
'use strict';
const OKABE_ITO = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#56B4E9', '#CC79A7', '#F0E442', '#000000'];
const colour = (i) => OKABE_ITO[i % OKABE_ITO.length];
function reportError(msg) {
  console.error(msg);
  const box = document.getElementById('errors');
  if (box) { const p = document.createElement('p'); p.textContent = String(msg); box.appendChild(p); }
}
window.addEventListener('error', (e) => reportError('script error: ' + e.message));
function fmt(v, digits) {
  if (v === null || v === undefined || Number.isNaN(v)) return 'n/a';
  const d = digits || 4;
  if (Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0)) return v.toExponential(d - 1);
  return Number(v.toPrecision(d)).toString();
}
function bytes(v) {
  const u = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (Math.abs(v) >= 1000 && i < u.length - 1) { v /= 1000; ++i; }
  return fmt(v, 4) + ' ' + u[i];
}
Chart.defaults.animation = false;
Chart.defaults.responsive = true;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.font.family = 'system-ui, sans-serif';
Chart.defaults.color = '#1a1a1a';
function axis(title, extra) { return Object.assign({ title: { display: true, text: title } }, extra || {}); }
// Draws a chart into the figure named `name` and marks it rendered.
function figure(name, config) {
  const section = document.querySelector('section.figure[data-figure="' + name + '"]');
  if (!section) { reportError('missing figure section ' + name); return; }
  try {
    const canvas = section.querySelector('canvas');
    new Chart(canvas, config);
    section.dataset.rendered = 'true';
  } catch (e) {
    reportError('figure ' + name + ': ' + e.message);
  }
}
function markRendered(name) {
  const section = document.querySelector('section.figure[data-figure="' + name + '"]');
  if (section) section.dataset.rendered = 'true';
}
// Fills the table figure `name` with a row per entry of `rows` (arrays of cells; `numeric(i)`
// right-aligns column i) and marks it drawn.
function fillTable(name, rows, numeric) {
  const tb = document.querySelector('#' + name + ' tbody');
  for (const cells of rows) {
    const tr = document.createElement('tr');
    cells.forEach((v, i) => { const td = document.createElement('td'); td.textContent = v; if (numeric && numeric(i)) td.className = 'num'; tr.appendChild(td); });
    tb.appendChild(tr);
  }
  markRendered(name);
}
)js";

std::string figure_section(const std::string& name, const std::string& title, const std::string& caption, bool tall = false,
                           bool short_chart = false) {
  return fmt::format(
      "<section class=\"figure\" data-figure=\"{}\" data-rendered=\"false\">\n<h2>{}</h2>\n<div class=\"chart{}\">"
      "<canvas role=\"img\" aria-label=\"{}\"></canvas></div>\n<p class=\"caption\">{}</p>\n</section>\n",
      name, escape(title),
      tall          ? " tall"
      : short_chart ? " short"
                    : "",
      escape(title), caption);
}

std::string page(const std::string& title, const std::string& subtitle, const std::string& body, const Json& data,
                 const std::string& script) {
  std::string o;
  o += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  o += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  o += "<title>" + escape(title) + "</title>\n<style>" + std::string(kCss) + "</style>\n";
  o += "<script>\n" + detail::chartjs_source() + "\n</script>\n</head>\n<body>\n";
  o += "<header><h1>" + escape(title) + "</h1><p>" + escape(subtitle) + "</p></header>\n<div id=\"errors\"></div>\n<main>\n";
  o += body;
  o +=
      "</main>\n<footer>dojosim report &middot; charts drawn with Chart.js &middot; self-contained: no network needed</footer>\n";
  o += "<script>\nconst DATA = " + script_json(data) + ";\n" + kCommonJs + "\ntry {\n" + script +
       "\n} catch (e) { reportError('report script: ' + e.message); }\n</script>\n</body>\n</html>\n";
  return o;
}

// ---- run ---------------------------------------------------------------------------------
constexpr const char* kRunJs = R"js(
const R = DATA.result;
{ // summary table
  const s = R.strategy;
  const rows = [
    ['system', R.system + ' (' + R.devices + ' devices)'],
    ['strategy', 'tp ' + s.tp + ', pp ' + s.pp + ', dp ' + s.dp + ', cp ' + s.cp + ', ep ' + s.ep + ', vp ' + s.vp +
       ', mbs ' + s.mbs + ', gbs ' + s.gbs + ', zero ' + s.zero + ', recompute ' + s.recompute + ', ' + s.precision],
    ['software stack', R.stack || 'n/a'],
    ['engine', R.engine],
    ['step time', fmt(R.step_time_s) + ' s'],
    ['throughput', fmt(R.tokens_per_s) + ' tokens/s (' + fmt(R.tokens_per_s_per_device) + ' per device)'],
    ['MFU', fmt(100 * R.mfu, 3) + ' %'],
    ['memory per device', bytes(R.memory.per_device_bytes) + ' of ' + bytes(R.memory.capacity_bytes) +
       (R.memory.fits ? ' (fits)' : ' (DOES NOT FIT)')],
    ['energy per step', R.energy_j_per_step === null ? 'n/a' : fmt(R.energy_j_per_step / 3.6e6) + ' kWh'],
    ['cost per step', R.cost_usd_per_step === null ? 'n/a' : '$' + fmt(R.cost_usd_per_step)],
  ];
  const tb = document.querySelector('#summary tbody');
  for (const [k, v] of rows) {
    const tr = document.createElement('tr');
    const th = document.createElement('th'); th.textContent = k;
    const td = document.createElement('td'); td.textContent = v;
    tr.append(th, td); tb.appendChild(tr);
  }
  markRendered('summary');
}
{ // step-time breakdown: one stacked horizontal bar, one segment per component
  const names = {compute: 'compute', tp_comm: 'TP comm', cp_comm: 'CP comm', ep_comm: 'EP comm', pp_comm: 'PP comm',
                 dp_comm: 'DP comm', spatial_comm: 'spatial comm', bubble: 'pipeline bubble', optimizer: 'optimizer',
                 memory_stream: 'memory streaming', ingest: 'data ingest'};
  const datasets = [];
  for (const [k, label] of Object.entries(names)) {
    const v = R.breakdown_s[k];
    if (v > 0) datasets.push({label: label, data: [v], backgroundColor: colour(datasets.length)});
  }
  figure('breakdown', {type: 'bar', data: {labels: ['step'], datasets: datasets},
    options: {indexAxis: 'y', scales: {x: axis('time per step (s)', {stacked: true, beginAtZero: true}),
                                       y: axis('', {stacked: true})},
              plugins: {tooltip: {callbacks: {label: (c) => c.dataset.label + ': ' + fmt(c.raw) + ' s'}}}}});
}
{ // memory per device by tier against capacity
  const m = R.memory, b = m.breakdown, pl = m.placement;
  const tiers = pl ? ['device (SRAM)', 'DIP HBM', 'host DRAM'] : ['device memory (HBM)'];
  const GB = 1e9;
  const cats = ['weights', 'gradients', 'optimizer', 'activations', 'other'];
  const datasets = cats.map((c, i) => ({label: c, type: 'bar', stack: 'used', backgroundColor: colour(i),
                                        data: tiers.map((t, ti) => ti === 0 ? b[c] / GB : 0)}));
  if (pl) {
    datasets.push({label: 'held in DIP HBM / host DRAM', type: 'bar', stack: 'used', backgroundColor: colour(5),
                   data: [0, pl.dip_bytes_per_device / GB, pl.host_bytes_per_device / GB]});
  }
  const cap = pl ? [m.capacity_bytes, pl.dip_capacity_per_device, pl.host_capacity_per_device] : [m.capacity_bytes];
  datasets.push({label: 'capacity', type: 'line', data: cap.map((c) => c / GB), showLine: false, pointStyle: 'line',
                 pointRadius: 40, pointBorderWidth: 3, borderColor: '#000000', backgroundColor: '#000000'});
  figure('memory', {type: 'bar', data: {labels: tiers, datasets: datasets},
    options: {scales: {x: axis('memory tier', {stacked: true}), y: axis('bytes per device (GB)', {stacked: true, beginAtZero: true})},
              plugins: {tooltip: {callbacks: {label: (c) => c.dataset.label + ': ' + fmt(c.raw) + ' GB'}}}}});
}
if (DATA.timeline) { // the event engine's schedule: one row per pipeline stage
  const t = DATA.timeline;
  const cats = ['forward', 'backward', 'tp', 'cp', 'ep', 'pp', 'dp', 'optimizer', 'stream'];
  const names = {forward: 'forward', backward: 'backward', tp: 'TP', cp: 'CP', ep: 'EP', pp: 'pipeline send', dp: 'DP / ZeRO-3',
                 optimizer: 'optimizer', stream: 'memory streaming'};
  const track = (i) => (t.tracks && t.tracks[i]) || 'stage ' + i;
  const stages = Array.from({length: t.stages}, (_, i) => track(i));
  const datasets = cats.map((c, i) => ({label: names[c], backgroundColor: colour(i), grouped: false, barPercentage: 0.8,
    categoryPercentage: 1.0,
    data: t.events.filter((e) => e[0] === c).map((e) => ({y: track(e[1]), x: [e[2], e[2] + e[3]], name: e[4]}))}))
    .filter((d) => d.data.length > 0);
  figure('timeline', {type: 'bar', data: {labels: stages, datasets: datasets},
    options: {indexAxis: 'y', scales: {x: axis('time within the step (s)', {beginAtZero: true}), y: axis('pipeline stage')},
              plugins: {tooltip: {callbacks: {label: (c) => c.raw.name + ': ' + fmt(c.raw.x[0]) + ' to ' + fmt(c.raw.x[1]) + ' s'}}}}});
}
if (DATA.mesh_svg) {
  markRendered('links');
} else { // busiest links: collective time per step on each level's links, by group
  const comm = R.communication || {};
  const levels = [];
  const perGroup = {};
  for (const [g, c] of Object.entries(comm)) {
    perGroup[g] = {};
    for (const l of (c.levels || [])) {
      const name = l.level + ' links (' + l.path + ')';
      if (!levels.includes(name)) levels.push(name);
      perGroup[g][name] = (perGroup[g][name] || 0) + l.time_s * c.calls_per_step;
    }
  }
  const groups = Object.keys(perGroup);
  const datasets = groups.map((g, i) => ({label: g.toUpperCase() + ' ' + comm[g].op + ' (' + comm[g].algorithm + ', ' +
                                                  comm[g].members + ' members)',
                                          backgroundColor: colour(i), data: levels.map((l) => perGroup[g][l] || 0)}));
  if (levels.length === 0) { levels.push('no communication'); datasets.push({label: 'none', data: [0]}); }
  figure('links', {type: 'bar', data: {labels: levels, datasets: datasets},
    options: {indexAxis: 'y', scales: {x: axis('collective time per step on these links (s)', {stacked: true, beginAtZero: true}),
                                       y: axis('level of the network', {stacked: true})},
              plugins: {tooltip: {callbacks: {label: (c) => c.dataset.label + ': ' + fmt(c.raw) + ' s'}}}}});
}
)js";

Json timeline_json(const engine::Timeline& t) {
  // Compact rows [category, stage, start, duration, name]; at most kMaxEvents (the rest
  // are counted in the caption), so a long schedule stays a file a browser opens.
  constexpr std::size_t kMaxEvents = 20000;
  Json events = Json::array();
  int stages = 1;
  for (std::size_t i = 0; i < t.events.size() && i < kMaxEvents; ++i) {
    const auto& e = t.events[i];
    events.push_back(Json::array({e.category, e.stage, e.start, e.duration, e.name}));
  }
  for (const auto& e : t.events) stages = std::max(stages, e.stage + 1);
  return Json{{"pipeline_s", t.pipeline},
              {"stages", stages},
              {"tracks", t.tracks},
              {"total_events", t.events.size()},
              {"events", std::move(events)}};
}

// ---- search ------------------------------------------------------------------------------
constexpr const char* kSearchJs = R"js(
const S = DATA.search;
const pts = S.ranked.map((p) => ({x: p.result.memory.per_device_bytes / 1e9, y: p.result.step_time_s, rank: p.rank,
                                   spec: 'tp' + p.result.strategy.tp + ' pp' + p.result.strategy.pp + ' dp' + p.result.strategy.dp +
                                         ' cp' + p.result.strategy.cp + ' mbs' + p.result.strategy.mbs + ' zero' +
                                         p.result.strategy.zero + ' ' + p.result.strategy.recompute + ' ' + p.result.strategy.precision}));
const cap = S.ranked.length ? S.ranked[0].result.memory.capacity_bytes / 1e9 : 0;
figure('scatter', {type: 'scatter', data: {datasets: [
    {label: 'best plan', data: pts.slice(0, 1), backgroundColor: colour(3), pointRadius: 8, pointStyle: 'rectRot'},
    {label: 'other top plans', data: pts.slice(1), backgroundColor: colour(0), pointRadius: 5}]},
  options: {scales: {x: axis('memory per device (GB; capacity ' + fmt(cap) + ' GB)', {beginAtZero: true}),
                     y: axis('step time (s)', {beginAtZero: true})},
            plugins: {tooltip: {callbacks: {label: (c) => '#' + c.raw.rank + ' ' + c.raw.spec + ': ' + fmt(c.raw.y) + ' s, ' +
                                                          fmt(c.raw.x) + ' GB'}}}}});
{
  const tb = document.querySelector('#plans tbody');
  for (const p of S.ranked) {
    const r = p.result, s = r.strategy;
    const cells = [p.rank, fmt(r.step_time_s), fmt(r.tokens_per_s), fmt(100 * r.mfu, 3), bytes(r.memory.per_device_bytes),
                   r.cost_usd_per_step === null ? 'n/a' : fmt(r.cost_usd_per_step),
                   'tp' + s.tp + ' pp' + s.pp + ' dp' + s.dp + ' cp' + s.cp + ' ep' + s.ep + ' vp' + s.vp + ' mbs' + s.mbs +
                   ' gbs' + s.gbs + ' zero' + s.zero + ' ' + s.recompute + ' ' + s.precision];
    const tr = document.createElement('tr');
    cells.forEach((v, i) => { const td = document.createElement('td'); td.textContent = v; if (i < 6) td.className = 'num'; tr.appendChild(td); });
    tb.appendChild(tr);
  }
  markRendered('plans');
}
)js";

// ---- compare -----------------------------------------------------------------------------
constexpr const char* kCompareJs = R"js(
const C = DATA.compare;
const labels = C.map((e) => e.system);
function bars(name, title, values) {
  figure(name, {type: 'bar', data: {labels: labels, datasets: [{label: title, data: values,
                                     backgroundColor: labels.map((_, i) => colour(i))}]},
    options: {plugins: {legend: {display: false}, tooltip: {callbacks: {label: (c) => fmt(c.raw) + ' ' + title}}},
              scales: {x: axis('system'), y: axis(title, {beginAtZero: true})}}});
}
bars('time', 'time to train (days)', C.map((e) => e.time_to_train_s / 86400));
bars('energy', 'energy of the run (MWh)', C.map((e) => e.energy_j / 3.6e9));
bars('cost', 'cost of the run (million USD)', C.map((e) => e.cost_usd / 1e6));
{
  const ref = C.length ? C[0].reference : '';
  const kinds = [['equivalent_devices', 'by throughput (reference resized)'], ['equivalent_devices_linear', 'by throughput (linear)'],
                 ['equivalent_devices_by_cost', 'by cost per hour'], ['equivalent_devices_by_peak', 'by peak BF16 (naive)']];
  figure('equivalent', {type: 'bar', data: {labels: labels, datasets: kinds.map(([k, l], i) => ({label: l, backgroundColor: colour(i),
                                                                                  data: C.map((e) => e[k])}))},
    options: {scales: {x: axis('system'), y: axis('devices of the reference (' + ref + ')', {beginAtZero: true})}}});
}
fillTable('table', C.map((e) => {
  const s = e.strategy;
  return [e.system, e.devices, fmt(e.step_time_s), fmt(e.tokens_per_s), fmt(100 * e.mfu, 3), fmt(e.time_to_train_s / 86400),
          fmt(e.energy_j / 3.6e9), fmt(e.cost_usd / 1e6), e.equivalent_devices === null ? 'none' : fmt(e.equivalent_devices),
          'tp' + s.tp + ' pp' + s.pp + ' dp' + s.dp + ' mbs' + s.mbs + ' ' + s.precision + (e.stack ? ', ' + e.stack : '')];
}), (i) => i > 0 && i < 9);
)js";

// ---- build-vs-buy ------------------------------------------------------------------------
constexpr const char* kBvbJs = R"js(
const B = DATA.bvb;
{
  const opts = [B.custom_program, B.custom_unit].concat(B.gpus).filter((o) => o && o.usd_per_pflop_day !== null);
  const label = (o) => o.kind === 'custom' ? o.name + ' (programme: NRE + units)'
                     : o.kind === 'custom-unit' ? o.name + ' (units only, no NRE)' : o.name + ' ' + o.kind + ' (' + o.year + ')';
  figure('options', {type: 'bar', data: {labels: opts.map(label), datasets: [{label: '$ per delivered PFLOP-day',
      data: opts.map((o) => o.usd_per_pflop_day), backgroundColor: opts.map((o) => o.kind.startsWith('custom') ? colour(3) : colour(0))}]},
    options: {indexAxis: 'y', plugins: {legend: {display: false}, tooltip: {callbacks: {label: (c) => '$' + fmt(c.raw) + ' per PFLOP-day'}}},
              scales: {x: axis('US dollars per delivered PFLOP-day', {beginAtZero: true}), y: axis('option')}}});
}
{
  const d = B.delay_curve;
  figure('delay', {type: 'line', data: {labels: d.map((p) => p.months), datasets: [
      {label: B.custom + ' (programme)', data: d.map((p) => p.custom_usd_per_pflop_day), borderColor: colour(3), backgroundColor: colour(3)},
      {label: 'best GPU option that year', data: d.map((p) => p.best_gpu_usd_per_pflop_day), borderColor: colour(0), backgroundColor: colour(0)}]},
    options: {plugins: {tooltip: {callbacks: {afterLabel: (c) => c.datasetIndex === 1 ? d[c.dataIndex].best_gpu : ''}}},
              scales: {x: axis('delay of the custom machine (months)'), y: axis('US dollars per delivered PFLOP-day', {beginAtZero: true})}}});
}
fillTable('sensitivity', B.sensitivity.map((r) => [r.parameter, r.low + ' .. ' + r.high, fmt(r.custom_low) + ' .. ' + fmt(r.custom_high),
    fmt(r.best_gpu_low) + ' .. ' + fmt(r.best_gpu_high), fmt(r.break_even_units_low) + ' .. ' + fmt(r.break_even_units_high)]));
)js";

// ---- sensitivity -------------------------------------------------------------------------
constexpr const char* kSensitivityJs = R"js(
const S = DATA.sensitivity;
function tornado(name, metric, title) {
  const base = S.base[metric];
  const rows = S.assumptions.slice().sort((a, b) => Math.abs(b.at_high[metric] - b.at_low[metric]) - Math.abs(a.at_high[metric] - a.at_low[metric]));
  const labels = rows.map((r) => r.assumption + ' (' + r.low + ' .. ' + r.high + ')');
  const span = (v) => [Math.min(base, v), Math.max(base, v)];
  figure(name, {type: 'bar', data: {labels: labels, datasets: [
      {label: 'at the low value', data: rows.map((r) => span(r.at_low[metric])), backgroundColor: colour(3)},
      {label: 'at the high value', data: rows.map((r) => span(r.at_high[metric])), backgroundColor: colour(0)}]},
    options: {indexAxis: 'y', plugins: {tooltip: {callbacks: {label: (c) => c.dataset.label + ': ' +
                fmt(c.datasetIndex === 0 ? rows[c.dataIndex].at_low[metric] : rows[c.dataIndex].at_high[metric])}}},
              scales: {x: axis(title + ' (preset: ' + fmt(base) + ')'), y: axis('assumption (low .. high)', {stacked: true})}}});
}
tornado('tornado', 'a100_equivalents', 'A100-equivalents of one ' + S.system);
tornado('per-dollar', 'throughput_per_dollar_vs_a100', 'throughput per dollar against the A100 cluster (x)');
fillTable('sources', S.assumptions.map((r) => [r.assumption, r.key, r.low, r.base, r.high,
    fmt(r.at_low.a100_equivalents) + ' .. ' + fmt(r.at_high.a100_equivalents), r.source]));
)js";

// ---- sweep -------------------------------------------------------------------------------
constexpr const char* kSweepJs = R"js(
const rows = DATA.rows;
const groupKey = (r) => r.system + ' / ' + r.model;
const groups = [...new Set(rows.filter((r) => r.status === 'ok').map(groupKey))];
// An SI prefix for an axis whose values reach `max` (440000000 B -> MB).
function scaleFor(max, unit) {
  if (!unit || unit === 'tokens') return {div: 1, label: unit};
  const prefixes = [[1e15, 'P'], [1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [f, p] of prefixes) if (max >= f) return {div: f, label: p + unit};
  return {div: 1, label: unit};
}
DATA.params.forEach((p, pi) => {
  const max = Math.max(...p.values.filter((v) => v !== null));
  const sc = scaleFor(max, p.unit);
  const datasets = groups.map((g, gi) => ({label: g, backgroundColor: colour(gi), borderColor: colour(gi), showLine: false,
    pointRadius: 4,
    data: rows.map((r, i) => ({r: r, v: p.values[i]})).filter((o) => o.r.status === 'ok' && groupKey(o.r) === g && o.v !== null)
              .map((o) => ({x: o.v / sc.div, y: o.r.step_time_s, strategy: o.r.strategy}))}));
  figure('param-' + pi, {type: 'scatter', data: {datasets: datasets},
    options: {scales: {x: axis(p.key + (sc.label ? ' (' + sc.label + ')' : '')), y: axis('step time (s)', {beginAtZero: true})},
              plugins: {tooltip: {callbacks: {label: (c) => c.raw.strategy + ': ' + fmt(c.raw.y) + ' s'}}}}});
});
if (DATA.params.length === 0) {
  const datasets = groups.map((g, gi) => ({label: g, backgroundColor: colour(gi), showLine: false,
    data: rows.filter((r) => r.status === 'ok' && groupKey(r) === g).map((r) => ({x: r.point_id, y: r.step_time_s}))}));
  figure('points', {type: 'scatter', data: {datasets: datasets},
    options: {scales: {x: axis('point of the sweep (id)'), y: axis('step time (s)', {beginAtZero: true})}}});
}
figure('mfu', {type: 'bar', data: {labels: groups, datasets: [{label: 'best MFU (%)', backgroundColor: groups.map((_, i) => colour(i)),
    data: groups.map((g) => Math.max(...rows.filter((r) => r.status === 'ok' && groupKey(r) === g).map((r) => 100 * r.mfu)))}]},
  options: {plugins: {legend: {display: false}}, scales: {x: axis('system / model'), y: axis('best MFU over the sweep (%)', {beginAtZero: true})}}});
{
  const order = ['ok', 'infeasible', 'invalid', 'error'];
  const counts = order.map((k) => rows.filter((r) => r.status === k).length);
  figure('status', {type: 'bar', data: {labels: order, datasets: [{label: 'points', data: counts,
      backgroundColor: order.map((_, i) => colour(i))}]},
    options: {plugins: {legend: {display: false}}, scales: {x: axis('status'), y: axis('points (count)', {beginAtZero: true})}}});
}
)js";

std::string table(const std::string& name, const std::string& title, const std::vector<std::string>& head,
                  const std::string& caption) {
  std::string h;
  for (const auto& c : head) h += "<th>" + escape(c) + "</th>";
  return fmt::format(
      "<section class=\"figure\" data-figure=\"{}\" data-rendered=\"false\" id=\"{}\">\n<h2>{}</h2>\n"
      "<table><thead><tr>{}</tr></thead><tbody></tbody></table>\n<p class=\"caption\">{}</p>\n</section>\n",
      name, name, escape(title), h, caption);
}

}  // namespace

std::string mesh_svg_if_dojo(const engine::Result& r, const hardware::System& sys, const std::string& model_name) {
  if (!sys.is_dojo()) return {};
  try {
    return mesh_svg(r, sys, model_name);
  } catch (const core::Error&) {
    return {};  // no 2D-mesh level or no mesh traffic: the report shows collective times instead
  }
}

std::string run_html(const Json& result, const std::string& model_name, const std::string& mesh_svg,
                     const engine::Timeline* timeline) {
  Json data{{"result", result}, {"mesh_svg", !mesh_svg.empty()}};
  std::string body;
  body +=
      "<section class=\"figure\" data-figure=\"summary\" data-rendered=\"false\" id=\"summary\"><h2>Summary</h2>"
      "<table><tbody></tbody></table></section>\n";
  body += figure_section("breakdown", "Where the step time goes",
                         "Seconds per training step by component; communication shown is the part not hidden under compute.",
                         false, true);
  body += figure_section("memory", "Memory per device by tier, against capacity",
                         "Bytes held per device in each memory tier (stacked by kind), with each tier's capacity marked.");
  if (timeline) {
    data["timeline"] = timeline_json(*timeline);
    const auto shown = std::min<std::size_t>(timeline->events.size(), 20000);
    body += figure_section("timeline", "Schedule of one step (event engine)",
                           fmt::format("Every forward and backward pass of every micro-batch on every pipeline stage, as the "
                                       "event engine places them; {} of {} passes shown.",
                                       shown, timeline->events.size()),
                           true);
  }
  if (!mesh_svg.empty()) {
    body +=
        "<section class=\"figure\" data-figure=\"links\" data-rendered=\"false\"><h2>Link utilisation on the Dojo mesh</h2>"
        "<div class=\"svgbox\">" +
        mesh_svg +
        "</div><p class=\"caption\">Each directed link coloured by bytes carried over the step divided by its bandwidth "
        "times the step time.</p></section>\n";
  } else {
    body += figure_section("links", "Busiest links: collective time per step by network level",
                           "Seconds per step each level's links spend in collectives (hidden under compute or not), "
                           "stacked by the parallel group whose collective they carry; the longest bar is the busiest links.",
                           false, true);
  }
  const std::string sys = result.value("system", std::string());
  return page(fmt::format("dojosim run: {} on {}", model_name, sys),
              fmt::format("step time {:.4g} s, MFU {:.1f} %, engine {}", result.value("step_time_s", 0.0),
                          100 * result.value("mfu", 0.0), result.value("engine", std::string())),
              body, data, kRunJs);
}

std::string search_html(const Json& search) {
  std::string body;
  body += figure_section("scatter", "Top plans: step time against memory per device",
                         "Each point is one of the ranked plans; hover for its strategy. Lower left is faster and leaner.");
  body += table("plans", "Ranked plans", {"rank", "step time (s)", "tokens/s", "MFU (%)", "memory/device", "$/step", "strategy"},
                escape(search.value("reason", std::string())));
  const auto counts = search.value("counts", Json::object());
  return page(
      fmt::format("dojosim search: {} on {}", search.value("model", std::string()), search.value("system", std::string())),
      fmt::format("objective {}; {} plans enumerated, {} evaluated, {} fit", search.value("objective", std::string()),
                  counts.value("enumerated", 0LL), counts.value("evaluated", 0LL), counts.value("feasible", 0LL)),
      body, Json{{"search", search}}, kSearchJs);
}

std::string compare_html(const Json& compare) {
  std::string body;
  body += figure_section("time", "Time to train", "Wall-clock days for the whole training run with each system's best plan.");
  body += figure_section("energy", "Energy", "Energy of the whole run in megawatt-hours (devices, hosts, network and cooling).");
  body += figure_section("cost", "Cost", "Cost of the whole run in million US dollars (capital amortised plus energy).");
  body += figure_section("equivalent", "Devices-equivalent",
                         "How many devices of the reference system each system is worth: by throughput (the reference resized "
                         "with its best plan, and linearly), by cost per hour, and by peak BF16 alone.");
  body +=
      table("table", "Side by side",
            {"system", "devices", "step time (s)", "tokens/s", "MFU (%)", "days", "MWh", "M USD", "equiv. devices", "strategy"},
            "Equivalent devices: the reference resized until it matches each system's throughput.");
  std::string model, systems;
  for (const auto& e : compare) {
    model = e.value("model", std::string());
    systems += (systems.empty() ? "" : ", ") + e.value("system", std::string());
  }
  return page(fmt::format("dojosim compare: {}", model), systems, body, Json{{"compare", compare}}, kCompareJs);
}

std::string sweep_html(const Json& sweep) {
  const auto& params = sweep.at("params");
  const auto& rows = sweep.at("rows");
  std::string body;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto key = params[i].at("key").get<std::string>();
    body += figure_section(fmt::format("param-{}", i), fmt::format("Step time against {}", key),
                           "Each point is one point of the sweep that ran (status ok), coloured by system and model; "
                           "hover for its strategy.");
  }
  if (params.empty())
    body += figure_section("points", "Step time of each point", "No swept key takes numeric values: points in sweep order.");
  body +=
      figure_section("mfu", "Best MFU per system and model", "Highest model-FLOP utilisation over the sweep's points that ran.");
  body +=
      figure_section("status", "Points by status", "ok: ran; infeasible: does not fit; invalid: no valid plan; error: internal.");
  long long ok = 0;
  for (const auto& r : rows) ok += r.value("status", std::string()) == "ok" ? 1 : 0;
  return page(fmt::format("dojosim sweep: {}", sweep.value("name", std::string())),
              fmt::format("{} points, {} ran; database {}", rows.size(), ok, sweep.value("db", std::string())), body, sweep,
              kSweepJs);
}

std::string build_vs_buy_html(const Json& bvb) {
  auto num = [&](const char* key) { return bvb.contains(key) && bvb[key].is_number() ? bvb[key].get<double>() : -1.0; };
  std::string body;
  body += figure_section("options", "Cost per delivered PFLOP-day",
                         "Every option over the programme's life: the custom machine with its NRE, its units alone, and each GPU "
                         "generation bought or rented in the year it is on sale.",
                         true);
  body += figure_section("delay", "What a delay does",
                         "The custom machine's cost per PFLOP-day if it is ready this many months late (NRE and the cost of "
                         "waiting grow) against the best GPU option on sale by then.");
  body += table("sensitivity", "Sensitivity",
                {"assumption", "low .. high", "custom $/PFLOP-day", "best GPU $/PFLOP-day", "break-even fleet (units)"},
                "Each assumption at its low and high value, the others at their preset values.");
  const std::string verdict =
      num("advantage_usd_per_pflop_day") >= 0
          ? fmt::format("the custom machine is cheaper than {} by ${:.4g} per PFLOP-day", bvb.value("best_gpu", std::string()),
                        num("advantage_usd_per_pflop_day"))
          : fmt::format(
                "{} is cheaper by ${:.4g} per PFLOP-day; break-even fleet {}", bvb.value("best_gpu", std::string()),
                -num("advantage_usd_per_pflop_day"),
                num("break_even_units") >= 0 ? fmt::format("{:.3g} units", num("break_even_units")) : std::string("none"));
  return page(
      fmt::format("dojosim build-vs-buy: {} for {}", bvb.value("custom", std::string()), bvb.value("model", std::string())),
      verdict, body, Json{{"bvb", bvb}}, kBvbJs);
}

std::string sensitivity_html(const Json& sens) {
  std::string body;
  body += figure_section("tornado", "A100-equivalents under each assumption",
                         "Each bar spans from the preset's answer to the answer with one assumption at its low (or high) value, "
                         "the others at the preset; largest swing first.",
                         true);
  body +=
      figure_section("per-dollar", "Throughput per dollar under each assumption",
                     "The same, for throughput per dollar against the A100 cluster (prices and yield move this one too).", true);
  body += table("sources", "Assumptions and their sources",
                {"assumption", "key", "low", "preset", "high", "A100-eq. low .. high", "source"},
                "The table is src/explore/sensitivity.cpp (explore::dojo_assumptions); sources are keys of "
                "specs/hardware_facts.md or marked assumption.");
  const auto& m = sens.at("range").at("a100_equivalents");
  return page(fmt::format("dojosim sensitivity: {}", sens.value("system", std::string())),
              fmt::format("{}. Preset {:.0f}; the public facts allow {:.0f} .. {:.0f}; most sensitive: {}",
                          sens.value("question", std::string()), m.value("base", 0.0), m.value("low", 0.0), m.value("high", 0.0),
                          sens.value("most_sensitive", std::string())),
              body, Json{{"sensitivity", sens}}, kSensitivityJs);
}

}  // namespace dojosim::report
