export const NOT_IN_6_1: Readonly<Record<string, Readonly<Record<string, string>>>> = {};
export const CHANGED_SINCE_6_1: Readonly<Record<string, Readonly<Record<string, number | bigint>>>> = {};
