import { createHash } from 'node:crypto';

/**
 * The fault-pattern knowledge graph (FEKG, after KGroot): per fault type, an abstract fault
 * propagation graph whose nodes are event categories (src/graph/causalRules.ts) and whose edges are
 * the causal edges between them, with the categories its root event may have. A pseudo-category
 * `dependency` stands for a call into another workload (a dependency edge of the ranking), so that a
 * failure that travelled through a Service has a shape of its own.
 *
 * Matching (why a graph kernel and not an R-GCN): KGroot learns an R-GCN to embed the online FPG and
 * the FEKG's patterns and compares the embeddings; with a library of ~15 hand-written patterns and a
 * handful of confirmed incidents per client there is nothing to train it on, and what its message
 * passing captures on graphs this small — which categories occur and what leads to what, one and two
 * steps out — is what the Weisfeiler-Lehman subtree kernel counts exactly. So a candidate's evidence
 * (the categories of the events on its paths to the alert, collapsed to one node per category, as
 * the patterns are) is compared with each pattern by the WL kernel (2 iterations, labels = category,
 * refined by the sorted labels of the causes and of the effects), normalised to a cosine in [0, 1].
 * Deterministic, explainable (the shared features are named), and a learned pattern needs no retraining.
 */
export interface FaultPattern {
  /** Stable id: `builtin:<faultType>` or `learned:<hash of the shape>`. */
  id: string;
  faultType: string;
  /** Categories the root event may have; `*` = any (the dependency pattern: what matters is the call). */
  roots: readonly string[];
  /** Abstract causal edges `cause>effect` between categories. */
  edges: readonly string[];
  origin: 'builtin' | 'learned';
}

const builtin = (faultType: string, roots: string[], edges: string[]): FaultPattern => ({ id: `builtin:${faultType}`, faultType, roots, edges, origin: 'builtin' });

/** The built-in library: one pattern per built-in fault type. */
export const BUILTIN_PATTERNS: readonly FaultPattern[] = [
  builtin('oom', ['oom'], ['oom>restart', 'oom>backoff', 'restart>backoff', 'oom>not-ready', 'oom>alert', 'restart>alert', 'backoff>alert', 'not-ready>alert']),
  builtin('crash-loop-config', ['log-config'], ['log-config>crash', 'crash>restart', 'crash>backoff', 'restart>backoff', 'log-config>alert', 'restart>alert', 'backoff>alert']),
  builtin('crash-loop', ['log-crash', 'crash'], ['log-crash>crash', 'crash>restart', 'crash>backoff', 'restart>backoff', 'restart>alert', 'backoff>alert']),
  builtin('missing-config', ['config'], ['config>backoff', 'config>not-ready', 'config>failed-mount', 'config>config', 'config>alert', 'not-ready>alert', 'backoff>alert']),
  builtin('image-pull', ['image-pull'], ['image-pull>image-pull', 'image-pull>backoff', 'image-pull>not-ready', 'image-pull>alert', 'backoff>alert', 'not-ready>alert']),
  builtin('node-not-ready', ['node-not-ready'], ['node-not-ready>not-ready', 'node-not-ready>eviction', 'node-not-ready>alert', 'not-ready>alert', 'eviction>failed-scheduling', 'eviction>alert']),
  builtin('node-pressure', ['node-pressure'], ['node-pressure>eviction', 'node-pressure>oom', 'eviction>failed-scheduling', 'eviction>not-ready', 'node-pressure>alert', 'eviction>alert']),
  builtin('pvc-pending', ['volume'], ['volume>failed-mount', 'volume>failed-scheduling', 'failed-mount>not-ready', 'volume>not-ready', 'volume>alert', 'failed-mount>alert', 'not-ready>alert']),
  builtin('probe-failure', ['unhealthy'], ['unhealthy>killing', 'killing>restart', 'unhealthy>not-ready', 'restart>backoff', 'unhealthy>alert', 'not-ready>alert']),
  builtin('dependency-failure', ['*'], ['dependency>log-conn', 'log-conn>unhealthy', 'log-conn>alert', 'unhealthy>alert', 'dependency>alert', 'dependency>unhealthy']),
  builtin('bad-rollout', ['rollout'], ['rollout>image-pull', 'rollout>crash', 'rollout>config', 'rollout>rollout-stuck', 'crash>backoff', 'rollout-stuck>alert', 'rollout>alert']),
  builtin('failed-job', ['crash', 'log-crash', 'log-config'], ['log-crash>crash', 'crash>job-failed', 'crash>restart', 'job-failed>alert', 'crash>alert']),
  builtin('cni-sandbox', ['sandbox', 'network'], ['network>sandbox', 'sandbox>not-ready', 'sandbox>backoff', 'sandbox>alert', 'not-ready>alert']),
  builtin('scheduling', ['failed-scheduling'], ['failed-scheduling>not-ready', 'failed-scheduling>rollout-stuck', 'failed-scheduling>alert', 'not-ready>alert', 'rollout-stuck>alert']),
];

/** The fault type a root category suggests when no pattern matches well enough. */
export const FAULT_TYPE_OF_CATEGORY: Readonly<Record<string, string>> = {
  oom: 'oom', config: 'missing-config', 'log-config': 'crash-loop-config', 'log-crash': 'crash-loop', crash: 'crash-loop',
  'image-pull': 'image-pull', 'node-not-ready': 'node-not-ready', 'node-pressure': 'node-pressure', eviction: 'node-pressure',
  volume: 'pvc-pending', 'failed-mount': 'pvc-pending', unhealthy: 'probe-failure', rollout: 'bad-rollout', 'rollout-stuck': 'bad-rollout',
  'job-failed': 'failed-job', sandbox: 'cni-sandbox', network: 'cni-sandbox', 'failed-scheduling': 'scheduling',
  'log-conn': 'dependency-failure', 'log-dns': 'dependency-failure', 'log-tls': 'dependency-failure',
};

/** An abstract graph: nodes are categories, edges `cause>effect`. */
export interface AbstractGraph {
  nodes: string[];
  edges: string[];
}

/** Collapses an event graph to its categories (one node per category, each category pair once); self-edges are kept (ErrImagePull → ImagePullBackOff). */
export function abstractGraph(edges: ReadonlyArray<{ cause: string; effect: string }>, nodes: readonly string[] = []): AbstractGraph {
  const e = new Set<string>();
  const n = new Set<string>(nodes);
  for (const x of edges) {
    e.add(`${x.cause}>${x.effect}`);
    n.add(x.cause);
    n.add(x.effect);
  }
  return { nodes: [...n].sort(), edges: [...e].sort() };
}

function patternGraph(p: FaultPattern): AbstractGraph {
  return abstractGraph(p.edges.map((x) => ({ cause: x.split('>')[0], effect: x.split('>')[1] })));
}

/**
 * The Weisfeiler-Lehman subtree features of an abstract graph after `h` refinements: the count of
 * every label at every iteration, a label refined by the sorted labels of its causes and its effects.
 */
export function wlFeatures(g: AbstractGraph, h = 2): Map<string, number> {
  const causes = new Map<string, string[]>();
  const effects = new Map<string, string[]>();
  for (const n of g.nodes) (causes.set(n, []), effects.set(n, []));
  for (const e of g.edges) {
    const [c, f] = e.split('>');
    if (!causes.has(c)) (causes.set(c, []), effects.set(c, []));
    if (!causes.has(f)) (causes.set(f, []), effects.set(f, []));
    effects.get(c)!.push(f);
    causes.get(f)!.push(c);
  }
  let label = new Map<string, string>([...causes.keys()].map((n) => [n, n]));
  const out = new Map<string, number>();
  const count = (l: string) => out.set(l, (out.get(l) ?? 0) + 1);
  for (const l of label.values()) count(`0:${l}`);
  for (let i = 1; i <= h; i++) {
    const next = new Map<string, string>();
    for (const n of label.keys()) {
      const ins = causes.get(n)!.map((x) => label.get(x)!).sort().join(',');
      const outs = effects.get(n)!.map((x) => label.get(x)!).sort().join(',');
      next.set(n, createHash('sha1').update(`${label.get(n)}|${ins}|${outs}`).digest('hex').slice(0, 12));
    }
    label = next;
    for (const l of label.values()) count(`${i}:${l}`);
  }
  return out;
}

/** The normalised WL kernel of two abstract graphs: the cosine of their feature counts, in [0, 1]. */
export function wlSimilarity(a: AbstractGraph, b: AbstractGraph, h = 2): number {
  const fa = wlFeatures(a, h);
  const fb = wlFeatures(b, h);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (const [k, v] of fa) (na += v * v), (dot += v * (fb.get(k) ?? 0));
  for (const v of fb.values()) nb += v * v;
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

export interface PatternMatch {
  pattern: FaultPattern;
  similarity: number;
}

/** A learned pattern counts this much more than a built-in one of the same similarity: the client confirmed it. */
export const LEARNED_BONUS = 0.05;

/**
 * The best pattern for a candidate root of category `root` whose evidence is `g`: among the
 * patterns whose roots include it (when the evidence crossed a call: the `*` patterns and the learned ones), the highest WL
 * similarity (learned patterns first at a tie, by {@link LEARNED_BONUS}); null when none applies.
 */
export function bestPattern(root: string, g: AbstractGraph, patterns: readonly FaultPattern[]): PatternMatch | null {
  let best: PatternMatch | null = null;
  let bestKey = -1;
  const viaDependency = g.nodes.includes('dependency');
  for (const p of patterns) {
    // Evidence that crossed a call is a dependency's failure: the `*` patterns and what the client confirmed apply.
    const applies = viaDependency ? p.roots.includes('*') || (p.origin === 'learned' && p.roots.includes(root)) : p.roots.includes(root);
    if (!applies) continue;
    const similarity = wlSimilarity(g, patternGraph(p));
    const key = similarity + (p.origin === 'learned' ? LEARNED_BONUS : 0);
    if (key > bestKey || (key === bestKey && best && p.id < best.pattern.id)) (best = { pattern: p, similarity: Math.round(similarity * 1000) / 1000 }), (bestKey = key);
  }
  return best;
}

/** A pattern learned from a confirmed incident: the cause's evidence graph, rooted at its category. */
export function learnedPattern(faultType: string, root: string, g: AbstractGraph): FaultPattern {
  const id = `learned:${createHash('sha256').update(`${faultType}|${root}|${g.edges.join(',')}`).digest('hex').slice(0, 16)}`;
  return { id, faultType, roots: [root], edges: g.edges, origin: 'learned' };
}

/** Patterns for one client: the built-ins, then that client's learned ones (a learned id shadows nothing built in). */
export function libraryOf(learned: readonly FaultPattern[]): FaultPattern[] {
  return [...BUILTIN_PATTERNS, ...learned.filter((p) => p.origin === 'learned')];
}
