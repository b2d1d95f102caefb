// City map: district outlines (GeoJSON shipped with the console, no online
// tiles) and every device coloured ok / alarm / offline. Below zoom 15
// devices are grouped by a 56-pixel screen grid so a city of thousands stays
// readable; a group shows its count in the colour of its worst member.
import * as L from 'leaflet';
import { api, ctx, el, fmtTime, label, t } from '../app.js';

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

  const map = L.map(box, { zoomControl: true, attributionControl: false, preferCanvas: false }).setView([26.07, 119.31], 12);
  ctx.leave.push(() => map.remove());
  const districts = await (await fetch('/console/districts.geojson')).json();
  const outline = L.geoJSON(districts, { style: { color: '#14324f', weight: 2, fillColor: '#b9d3ea', fillOpacity: 0.35 } }).addTo(map);
  outline.eachLayer((layer) => layer.bindTooltip(layer.feature.properties.name, { permanent: true, direction: 'center', className: 'district-label' }));
  map.fitBounds(outline.getBounds(), { padding: [10, 10] });
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
    return L.circleMarker([d.lat, d.lon], { radius: 7, color: '#fff', weight: 2, fillColor: COLOURS[state], fillOpacity: 0.95, className: `tz-device tz-state-${state}` })
      .bindPopup(() => el('div', {},
        el('b', {}, d.deviceId), el('br'), `${label('class', d.profile, d.title)} · ${d.district ? label('district', d.district) : t('map.noDistrict')}`, el('br'),
        t('map.popupState', { state: label('deviceState', state), seen: fmtTime(d.lastSeen) }), el('br'),
        d.battery !== null ? `${t('map.battery', { n: d.battery.toFixed(0) })} ` : '', d.signal !== null ? t('map.signal', { n: d.signal }) : '', el('br'),
        el('a', { href: `#/device/${encodeURIComponent(d.deviceId)}` }, t('map.openDevice'))));
  }

  function draw() {
    layer.clearLayers();
    const zoom = map.getZoom();
    if (zoom >= CLUSTER_BELOW_ZOOM) {
      for (const d of devices) deviceMarker(d, stateOf(d, alarmed)).addTo(layer);
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
      if (members.length === 1) { deviceMarker(members[0], stateOf(members[0], alarmed)).addTo(layer); continue; }
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
