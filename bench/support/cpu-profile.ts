// Reads a V8 `.cpuprofile` (the inspector's Profiler.stop) and says where the busy time went: self
// time per area (a package, a folder of src/, node internals, GC) and per function. Reads one file.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileShare {
  name: string;
  selfMs: number;
  /** Of the busy time (everything but idle). */
  share: number;
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  areas: ProfileShare[];
  functions: ProfileShare[];
}

const VM_FRAMES = new Set(['(garbage collector)', '(program)', '(root)']);

/** Which part of the process a frame belongs to, by its script URL. */
export function areaOf(url: string, functionName: string): string {
  if (url === '') return VM_FRAMES.has(functionName) ? functionName : 'native (V8/Node built-ins)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [first, second] = url.slice(modules + '/node_modules/'.length).split('/');
    return first?.startsWith('@') ? `${first}/${second}` : (first ?? url);
  }
  const src = url.lastIndexOf('/src/');
  if (src >= 0) {
    const [folder] = url.slice(src + '/src/'.length).split('/');
    return `src/${folder}`;
  }
  return url.includes('/bench/') ? 'bench' : url;
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  const src = url.lastIndexOf('/src/');
  return src >= 0 ? url.slice(src + 1) : url;
}

function top(totals: Map<string, number>, busyMs: number, count: number): ProfileShare[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, selfMs]) => ({ name, selfMs, share: busyMs === 0 ? 0 : selfMs / busyMs }));
}

/**
 * Nodes under a frame of the bench host's own command handling (the profiler stopping and
 * serializing itself shows up in the profile): their samples are left out.
 */
function hostNodes(profile: CpuProfile): Set<number> {
  const excluded = new Set<number>();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const visit = (id: number, isUnderHost: boolean): void => {
    const node = byId.get(id);
    if (node === undefined) return;
    const isHost = isUnderHost || node.callFrame.url.includes('/bench/support/bench-host');
    if (isHost) excluded.add(id);
    for (const child of node.children ?? []) visit(child, isHost);
  };
  const children = new Set(profile.nodes.flatMap((node) => node.children ?? []));
  for (const node of profile.nodes) if (!children.has(node.id)) visit(node.id, false);
  return excluded;
}

/** Self time by area and by function, largest first. */
export function summarizeCpuProfile(profile: CpuProfile, topCount = 20): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const excluded = hostNodes(profile);
  const selfUs = new Map<number, number>();
  for (let index = 0; index < profile.samples.length; index++) {
    const id = profile.samples[index] as number;
    if (excluded.has(id)) continue;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  }
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let busyMs = 0;
  let idleMs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const ms = us / 1000;
    if (functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    busyMs += ms;
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + ms);
    const name =
      url === ''
        ? functionName
        : `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + ms);
  }
  return {
    busyMs,
    idleMs,
    areas: top(areas, busyMs, topCount),
    functions: top(functions, busyMs, topCount),
  };
}

/** Reads a `.cpuprofile` file. */
export function readCpuProfile(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
}

/** A named part of the work, matched on a stack frame's function name and script URL. */
export interface ProfilePhase {
  name: string;
  matches(frame: { functionName: string; url: string }): boolean;
}

/**
 * Busy time per phase: each sample goes to the innermost frame on its stack that some phase
 * matches (phases are tried in order for that frame); GC is its own phase; the rest is "other".
 */
export function phaseShares(profile: CpuProfile, phases: readonly ProfilePhase[]): ProfileShare[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  }
  const phaseOfNode = new Map<number, string>();
  const phaseOf = (id: number): string => {
    const known = phaseOfNode.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    let phase = 'other';
    if (node !== undefined) {
      if (node.callFrame.functionName === '(garbage collector)') phase = 'garbage collector';
      else {
        const own = phases.find((candidate) => candidate.matches(node.callFrame));
        const parent = parentOf.get(id);
        phase = own?.name ?? (parent === undefined ? 'other' : phaseOf(parent));
      }
    }
    phaseOfNode.set(id, phase);
    return phase;
  };
  const totals = new Map<string, number>();
  const excluded = hostNodes(profile);
  let busyMs = 0;
  for (let index = 0; index < profile.samples.length; index++) {
    const id = profile.samples[index] as number;
    if (excluded.has(id) || byId.get(id)?.callFrame.functionName === '(idle)') continue;
    const ms = (profile.timeDeltas[index] ?? 0) / 1000;
    busyMs += ms;
    const phase = phaseOf(id);
    totals.set(phase, (totals.get(phase) ?? 0) + ms);
  }
  return top(totals, busyMs, totals.size);
}

/** Rows for console.table: name, self ms, share of busy time. */
export function profileRows(shares: readonly ProfileShare[]): Record<string, string>[] {
  return shares.map((share) => ({
    name: share.name,
    'self ms': Math.round(share.selfMs).toLocaleString('en-US'),
    'of busy': `${(share.share * 100).toFixed(1)}%`,
  }));
}
