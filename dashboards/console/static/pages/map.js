// City map: districts, grid cells (网格) and main streets of the city plan
// (GET /console/api/city; offline by default — background tiles only when the
// console config names a tile URL) and every device where the registry puts
// it, coloured ok / alarm / offline. Below zoom 15
// devices are grouped by a 56-pixel screen grid so a city of thousands stays
// readable; a group shows its count in the colour of its worst member.
import * as L from 'leaflet';
import { api, ctx, el, fmtTime, label, t } from '../app.js';

const CITY_STYLE = {
  district: { color: '#14324f', weight: 2, fillColor: '#b9d3ea', fillOpacity: 0.3, className: 'tz-district' },
  cell: { color: '#5b7c99', weight: 0.6, dashArray: '3 3', fill: true, fillOpacity: 0, className: 'tz-cell' },
  street: { color: '#c47f00', weight: 3, opacity: 0.8, className: 'tz-street' },
};

/** Draws the city plan (districts labelled in Chinese, grid cells, streets); returns its bounds. */
function drawCity(map, city) {
  const kindOf = (f) => f.properties.kind ?? 'district';
  const cells = L.geoJSON({ type: 'FeatureCollection', features: city.features.filter((f) => kindOf(f) === 'cell') }, { style: CITY_STYLE.cell })
    .eachLayer((layer) => layer.bindTooltip(el('span', {}, `${t('map.cell')} ${layer.feature.properties.id} · ${layer.feature.properties.name}`), { sticky: true }));
  const districts = L.geoJSON({ type: 'FeatureCollection', features: city.features.filter((f) => kindOf(f) === 'district') }, { style: CITY_STYLE.district })
    .eachLayer((layer) => {
      const p = layer.feature.properties;
      layer.bindTooltip(el('span', { 'data-district': p.id ?? '' }, p.name, ...(p.nameEn ? [el('br'), el('small', {}, p.nameEn)] : [])), { permanent: true, direction: 'center', className: 'district-label' });
    });
  const streets = L.geoJSON({ type: 'FeatureCollection', features: city.features.filter((f) => kindOf(f) === 'street') }, { style: CITY_STYLE.street })
    .eachLayer((layer) => layer.bindTooltip(el('span', {}, layer.feature.properties.name), { sticky: true }));
  districts.addTo(map);
  cells.addTo(map);
  streets.addTo(map);
  return districts.getBounds();
}

/** Where a device stands, on hover: address and grid cell (or that its position is estimated). */
function withPlace(marker, d) {
  const where = d.estimated ? t('map.estimated') : [d.address, d.gridCell ? `${t('map.cell')} ${d.gridCell}` : ''].filter(Boolean).join(' · ');
  // Elements, not HTML strings: addresses are data people typed.
  return where ? marker.bindTooltip(el('span', {}, `${d.deviceId} · ${where}`)) : marker;
}

const CELL_PX = 56;
const CLUSTER_BELOW_ZOOM = 15;
const COLOURS = { ok: '#2da44e', alarm: '#d73a49', offline: '#8c959f' };
const WORST = { alarm: 2, offline: 1, ok: 0 };

export function stateOf(device, alarmedDevices) {
  if (alarmedDevices.has(device.deviceId)) return 'alarm';
  return device.state === 'offline' ? 'offline' : 'ok';
}

export async function renderMap(view) {
  const counts = el('span', { id: 'device-count' }, t('map.loading'));
  const legend = el('div', { class: 'legend' },
    el('span', {}, el('span', { class: 'dot state-ok' }), ` ${label('deviceState', 'ok')} `, el('b', { id: 'count-ok' }, '0')),
    el('span', {}, el('span', { class: 'dot state-alarm' }), ` ${label('deviceState', 'alarm')} `, el('b', { id: 'count-alarm' }, '0')),
    el('span', {}, el('span', { class: 'dot state-offline' }), ` ${label('deviceState', 'offline')} `, el('b', { id: 'count-offline' }, '0')),
    counts);
  const box = el('div', { id: 'map' });
  view.append(legend, box);

  const tiles = ctx.config?.mapTiles;
  const map = L.map(box, { zoomControl: true, attributionControl: Boolean(tiles), preferCanvas: false });
  ctx.leave.push(() => map.remove());
  if (tiles) L.tileLayer(tiles.urlTemplate, { attribution: tiles.attribution, maxZoom: tiles.maxZoom ?? 19 }).addTo(map);
  const city = await api('/console/api/city');
  map.fitBounds(drawCity(map, city), { padding: [10, 10] });
  if (city.schematic) legend.append(el('span', { class: 'schematic-note', id: 'map-schematic' }, t('map.schematic')));
  const layer = L.layerGroup().addTo(map);

  let devices = [];
  let alarmed = new Set();
  async function load() {
    const [{ devices: list }, { alarms }] = await Promise.all([api('/console/api/devices'), api('/api/v1/alarms', { query: { state: 'open', limit: 1000 } })]);
    devices = list;
    alarmed = new Set(alarms.filter((a) => a.state === 'active' || a.state === 'acknowledged').map((a) => a.deviceId));
    const tally = { ok: 0, alarm: 0, offline: 0 };
    for (const d of devices) tally[stateOf(d, alarmed)] += 1;
    for (const k of Object.keys(tally)) document.getElementById(`count-${k}`).textContent = String(tally[k]);
    counts.textContent = t('map.devices', { n: devices.length });
    draw();
  }

  function deviceMarker(d, state) {
    return L.circleMarker([d.lat, d.lon], { radius: 7, color: '#fff', weight: 2, dashArray: d.estimated ? '2 2' : null, fillColor: COLOURS[state], fillOpacity: 0.95, className: `tz-device tz-state-${state}` })
      .bindPopup(() => el('div', {},
        el('b', {}, d.deviceId), el('br'), `${label('class', d.profile, d.title)} · ${d.district ? label('district', d.district) : t('map.noDistrict')}`, el('br'),
        t('map.popupState', { state: label('deviceState', state), seen: fmtTime(d.lastSeen) }), el('br'),
        d.battery !== null ? `${t('map.battery', { n: d.battery.toFixed(0) })} ` : '', d.signal !== null ? t('map.signal', { n: d.signal }) : '', el('br'),
        // Registry facts, when the registry has them: grid cell, asset, tags.
        d.gridCell || d.assetId ? [t('device.place', { address: d.address ?? '—', cell: d.gridCell ?? '—', asset: d.assetId ?? '—' }), el('br')] : null,
        d.tags?.length ? [`${t('device.tags')} ${d.tags.join(' · ')}`, el('br')] : null,
        el('a', { href: `#/device/${encodeURIComponent(d.deviceId)}` }, t('map.openDevice'))));
  }

  function draw() {
    layer.clearLayers();
    const zoom = map.getZoom();
    if (zoom >= CLUSTER_BELOW_ZOOM) {
      for (const d of devices) withPlace(deviceMarker(d, stateOf(d, alarmed)), d).addTo(layer);
      return;
    }
    const cells = new Map();
    for (const d of devices) {
      const p = map.project([d.lat, d.lon], zoom);
      const key = `${Math.floor(p.x / CELL_PX)}:${Math.floor(p.y / CELL_PX)}`;
      const cell = cells.get(key) ?? [];
      cell.push(d);
      cells.set(key, cell);
    }
    for (const members of cells.values()) {
      if (members.length === 1) { withPlace(deviceMarker(members[0], stateOf(members[0], alarmed)), members[0]).addTo(layer); continue; }
      const worst = members.map((d) => stateOf(d, alarmed)).sort((a, b) => WORST[b] - WORST[a])[0];
      const lat = members.reduce((s, d) => s + d.lat, 0) / members.length;
      const lon = members.reduce((s, d) => s + d.lon, 0) / members.length;
      const size = Math.min(52, 24 + Math.round(Math.log2(members.length) * 5));
      const icon = L.divIcon({ className: '', iconSize: [size, size], html: `<div class="tz-cluster tz-state-${worst}" data-count="${members.length}" style="width:${size}px;height:${size}px;background:${COLOURS[worst]}">${members.length}</div>` });
      L.marker([lat, lon], { icon }).on('click', () => map.fitBounds(L.latLngBounds(members.map((d) => [d.lat, d.lon])), { padding: [40, 40], maxZoom: CLUSTER_BELOW_ZOOM })).addTo(layer);
    }
  }

  map.on('zoomend', draw);
  const onAlarm = () => load().catch(() => {});
  ctx.alarms.addEventListener('alarm', onAlarm);
  ctx.leave.push(() => ctx.alarms.removeEventListener('alarm', onAlarm));
  const timer = setInterval(() => load().catch(() => {}), 30_000);
  ctx.leave.push(() => clearInterval(timer));
  await load();
}
