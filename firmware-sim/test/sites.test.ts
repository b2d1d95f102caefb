import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadProfiles } from '../../device-profiles/index.ts';
import { startSimulatedDistrict, type CitySites, type DeviceSite } from '../index.ts';

// The sim takes the city's geography from outside (cli/ passes registry/places):
// here a two-district city of numbered sites, so the test sees exactly which
// site each device got.

const profiles = loadProfiles();

function numberedSites(): CitySites & { asked: Array<[string, number]> } {
  const asked: Array<[string, number]> = [];
  return {
    asked,
    districts: ['north', 'south'],
    sitesIn(district, count) {
      asked.push([district, count]);
      return Array.from({ length: count }, (_, i): DeviceSite => ({
        lat: district === 'north' ? 33.01 : 32.95, lon: 114 + i / 1000, district, districtName: district === 'north' ? '北区' : '南区',
        gridCell: `${district}-${i}`, gridName: `网格${i}`, street: '解放路', address: `${district === 'north' ? '北区' : '南区'}解放路${2 * i + 1}号`,
      }));
    },
  };
}

test('with sites, every device (Modbus and LoRa) stands at its district\'s next site; the districts are the city\'s', async () => {
  const sites = numberedSites();
  const d = await startSimulatedDistrict({ profiles, devices: 40, seed: 3, tickMs: 3_600_000, loraMeters: 2, sites });
  try {
    assert.equal(d.districts, ['north', 'south']);
    assert.equal(sites.asked, [['north', 20], ['south', 20]]);
    for (const name of d.districts) {
      const mine = d.devices.filter((x) => x.district === name);
      assert.is(mine.length, 20);
      assert.ok(mine.every((x) => x.site?.district === name), `${name}: every device has a site in its district`);
      assert.is(new Set(mine.map((x) => x.site!.gridCell)).size, 20, `${name}: one site per device`);
    }
    assert.ok(d.devices.filter((x) => x.transport === 'lora').every((x) => x.site));
  } finally {
    await d.stop();
  }
});

test('without sites the devices have no coordinates, and the districts are 驻马店\'s central ones', async () => {
  const d = await startSimulatedDistrict({ profiles, devices: 8, seed: 3, tickMs: 3_600_000 });
  try {
    assert.equal(d.districts, ['yicheng', 'jingkai', 'gaoxin', 'shifanqu']);
    assert.ok(d.devices.every((x) => x.site === undefined));
  } finally {
    await d.stop();
  }
});

test.run();
