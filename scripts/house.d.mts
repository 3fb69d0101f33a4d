// Types for scripts/house.mjs, so test/unit/architecture.test.ts can use the same walk and floors.
export interface HouseFile { rel: string; text: string; lines: number; imports: string[]; external: string[] }
export const FLOORS: string[][];
export function floorKey(rel: string): string;
export function floorRank(rel: string): number;
export function readHouse(srcDir: string): HouseFile[];
export function circles(files: HouseFile[]): string[][];
export function upward(files: HouseFile[]): { from: string; to: string }[];
export function numbers(files: HouseFile[]): {
  files: number; floors: number; folders: number; loose: string[]; circles: string[][];
  upward: { from: string; to: string }[]; unranked: string[]; over300: string[];
};
