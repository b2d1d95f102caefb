import type { AlarmView } from '../proto/index.ts';

// Where a case is. The case room knows no geography: a GridLocator (point →
// district and grid cell 网格, implemented by registry/places, wired in cli/)
// and AssetPlaces (device id → where it stands, from the device registry)
// are injected. Grid cells drive dispatch (a crew serves cells, see dispatch.ts).

export interface GridLocator {
  /** District and grid cell at a WGS-84 point, or null outside the city's districts. gridCell '' = in a district, in no cell. */
  locate(lat: number, long: number): { district: string; gridCell: string } | null;
}

export interface AssetPlace {
  lat: number | null;
  long: number | null;
  address: string | null;
  district: string | null;
  gridCell: string | null;
}

export interface AssetPlaces {
  /** Where an asset (device) stands; null when the registry does not know it. May be slow (HTTP): called outside transactions. */
  placeOf(assetId: string): Promise<AssetPlace | null> | AssetPlace | null;
}

export interface CasePlaceInput {
  lat?: number | null;
  long?: number | null;
  address?: string | null;
  district?: string | null;
  gridCell?: string | null;
}

/**
 * Fills district and grid cell from lat/long when the locator knows the point.
 * What the caller gave wins (an operator may know better); a point outside
 * every district keeps what was given.
 */
export function locatePlace<T extends CasePlaceInput>(input: T, locator: GridLocator | undefined): T {
  if (!locator || input.lat == null || input.long == null || (input.district && input.gridCell)) return input;
  const hit = locator.locate(input.lat, input.long);
  if (!hit) return input;
  return { ...input, district: input.district || hit.district, gridCell: input.gridCell || hit.gridCell || null };
}

/** The place an alarm's case gets: the alarm's own place, else the registry's for its device, else the alarm's district only. */
export async function placeOfAlarm(alarm: AlarmView, places: AssetPlaces | undefined): Promise<CasePlaceInput> {
  const own = alarm.place;
  if (own) return { lat: own.lat, long: own.lon, address: own.address ?? null, district: own.district || alarm.district || null, gridCell: own.gridCell ?? null };
  const known = places ? await places.placeOf(alarm.deviceId) : null;
  if (known) return { ...known, district: known.district || alarm.district || null };
  return { district: alarm.district || null };
}
