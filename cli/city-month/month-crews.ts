// The month's crews (default case config has none): the municipal-facilities
// department has a crew per district (covers are most of the work), every
// other department one crew for the whole city.

export interface MonthCrew {
  id: string;
  name: string;
  department: string;
  districts: string[];
}

export const MONTH_CREWS: readonly MonthCrew[] = [
  { id: 'mf-yicheng', name: '驿城区市政一组', department: 'municipal-facilities', districts: ['yicheng'] },
  { id: 'mf-jingkai', name: '经开区市政组', department: 'municipal-facilities', districts: ['jingkai'] },
  { id: 'mf-gaoxin', name: '高新区市政组', department: 'municipal-facilities', districts: ['gaoxin'] },
  { id: 'mf-shifanqu', name: '示范区市政组', department: 'municipal-facilities', districts: ['shifanqu'] },
  { id: 'mf-city', name: '市政机动组', department: 'municipal-facilities', districts: ['*'] },
  { id: 'water', name: '供排水抢修队', department: 'water-drainage', districts: ['*'] },
  { id: 'gas', name: '燃气抢修队', department: 'gas', districts: ['*'] },
  { id: 'lighting', name: '路灯所维修班', department: 'lighting-energy', districts: ['*'] },
  { id: 'sanitation', name: '环卫一组', department: 'sanitation', districts: ['*'] },
  { id: 'enforcement', name: '城管执法中队', department: 'city-management', districts: ['*'] },
  { id: 'iot', name: '物联网运维班', department: 'iot-operations', districts: ['*'] },
];

/** The default case config with the month's crews. */
export function monthCaseConfig(defaults: unknown): Record<string, unknown> {
  return { ...(defaults as Record<string, unknown>), crews: MONTH_CREWS.map((c) => ({ ...c, skills: ['*'] })) };
}
