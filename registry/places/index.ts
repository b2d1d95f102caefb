// Places: the city plan (districts, grid cells 网格, main streets) and where a
// point is in it. The shipped plan is a SCHEMATIC 驻马店 (Zhumadian); another
// city is another GeoJSON file (env TZ_CITY_BOUNDARIES or the `file` option).
export { DEFAULT_CITY_FILE, cityPlanFile, parseCityPlan, type CityPlan, type District, type GridCell, type Street, type LonLat, type BBox } from './city-plan.ts';
export { loadCityMap, withLocate, insideRings, type CityMap, type Locate, type Place } from './locate.ts';
export { sitesAlongStreets, streetSites, type DeviceSite } from './street-sites.ts';
export { cityMapGeoJson, cityDeviceRows, cityDevicesGeoJson, assetIdOf, CITY_DEVICE_COLUMNS, type CityDeviceRow, type PlacedDevice } from './exports.ts';
