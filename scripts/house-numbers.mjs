#!/usr/bin/env node
// Prints the shape of src/: files, floors (top-level folders), loose files, import circles,
// imports that run up the floor order (scripts/house.mjs), and files over 300 lines.
// Usage: node scripts/house-numbers.mjs [srcDir] [--verbose]
import { numbers, readHouse } from './house.mjs';

const args = process.argv.slice(2);
const verbose = args.includes('--verbose');
const src = args.find((a) => !a.startsWith('--')) ?? 'src';
const n = numbers(readHouse(src));
console.log(`files:            ${n.files}`);
console.log(`floors (top dirs): ${n.floors}   (all folders: ${n.folders})`);
console.log(`loose in src/:    ${n.loose.length}${verbose ? `  ${n.loose.join(' ')}` : ''}`);
console.log(`import circles:   ${n.circles.length} (sizes ${n.circles.map((c) => c.length).join(', ') || '-'})`);
if (verbose) for (const c of n.circles) console.log(`  circle: ${c.join(' ')}`);
console.log(`upward imports:   ${n.upward.length}`);
if (verbose) for (const u of n.upward) console.log(`  ${u.from} -> ${u.to}`);
if (n.unranked.length) console.log(`not in the floor order: ${n.unranked.join(' ')}`);
console.log(`files > 300 lines: ${n.over300.length}${n.over300.length ? `  ${n.over300.join(' ')}` : ''}`);
