import { createHash } from 'node:crypto';

/**
 * Online log template mining in the style of Drain (He et al., ICWS 2017): a line is split into
 * tokens, tokens holding a digit become `<*>`, and a fixed-depth tree keyed by token count and the
 * first tokens leads to a few clusters; the most similar one (share of equal tokens ≥ threshold)
 * absorbs the line, turning the tokens that differ into `<*>`, else the line founds a new cluster.
 *
 * Memory is bounded: at most `maxClusters` clusters (the least recently used one is evicted,
 * and emptied tree branches with it), `maxChildren` per tree node (overflow goes to `<*>`), and
 * `maxTokens` tokens per line. A cluster's id is a hash of its founding line's masked tokens: it
 * does not change as the template generalizes, and the same founder gives the same id in another
 * process. State is per normalizer, so after a restart a line may land in a younger template.
 *
 * @example
 *   const m = new TemplateMiner();
 *   m.add('connected to 10.0.0.1 in 5ms');  // { templateId: 't-…', template: 'connected to <*> in <*>' }
 */
export interface TemplateMinerConfig {
  /** Tree depth; the first `depth - 2` tokens route a line (Drain's default 4). */
  depth?: number;
  /** Share of equal tokens a line needs to join a cluster (0..1). */
  similarity?: number;
  /** Children per tree node before new tokens go to the `<*>` child. */
  maxChildren?: number;
  /** Clusters kept; beyond it the least recently used is evicted. */
  maxClusters?: number;
  /** Tokens of a line considered; the rest is cut. */
  maxTokens?: number;
}

export interface MinedTemplate {
  templateId: string;
  template: string;
}

export const WILDCARD = '<*>';

interface Cluster {
  id: string;
  tokens: string[];
  size: number;
  leaf: Cluster[];
  path: Array<{ parent: Map<string, TreeNode>; key: string; node: TreeNode }>;
}

interface TreeNode {
  children: Map<string, TreeNode>;
  clusters: Cluster[];
}

const HAS_DIGIT = /\d/;

export class TemplateMiner {
  private readonly depth: number;
  private readonly similarity: number;
  private readonly maxChildren: number;
  private readonly maxClusters: number;
  private readonly maxTokens: number;
  private readonly root = new Map<string, TreeNode>();
  /** Clusters in recency order (Map keeps insertion order; a hit re-inserts). */
  private readonly lru = new Map<Cluster, true>();

  constructor(config: TemplateMinerConfig = {}) {
    this.depth = config.depth ?? 4;
    this.similarity = config.similarity ?? 0.5;
    this.maxChildren = config.maxChildren ?? 100;
    this.maxClusters = config.maxClusters ?? 5000;
    this.maxTokens = config.maxTokens ?? 64;
    if (this.depth < 3) throw new Error('TemplateMiner depth must be at least 3');
    if (this.maxClusters < 1) throw new Error('TemplateMiner maxClusters must be at least 1');
    if (!(this.similarity > 0 && this.similarity <= 1)) throw new Error('TemplateMiner similarity must be in (0, 1]');
  }

  get clusterCount(): number {
    return this.lru.size;
  }

  add(message: string): MinedTemplate {
    const tokens = tokenize(message, this.maxTokens);
    const leaf = this.leafFor(tokens);
    let best: Cluster | undefined;
    let bestSim = -1;
    let bestParams = -1;
    for (const c of leaf.node.clusters) {
      const [sim, params] = similarity(c.tokens, tokens);
      if (sim > bestSim || (sim === bestSim && params > bestParams)) {
        best = c;
        bestSim = sim;
        bestParams = params;
      }
    }
    if (best && bestSim >= this.similarity) {
      for (let i = 0; i < tokens.length; i++) if (best.tokens[i] !== tokens[i]) best.tokens[i] = WILDCARD;
      best.size++;
      this.lru.delete(best);
      this.lru.set(best, true);
      return { templateId: best.id, template: best.tokens.join(' ') };
    }
    const cluster: Cluster = { id: templateIdOf(tokens), tokens, size: 1, leaf: leaf.node.clusters, path: leaf.path };
    leaf.node.clusters.push(cluster);
    this.lru.set(cluster, true);
    if (this.lru.size > this.maxClusters) this.evictOldest();
    return { templateId: cluster.id, template: tokens.join(' ') };
  }

  private leafFor(tokens: string[]): { node: TreeNode; path: Cluster['path'] } {
    const path: Cluster['path'] = [];
    let parent = this.root;
    let key = String(tokens.length);
    const routing = Math.min(this.depth - 2, tokens.length);
    for (let level = 0; ; level++) {
      let node = parent.get(key);
      if (!node) {
        if (level > 0 && parent.size >= this.maxChildren && key !== WILDCARD) {
          key = WILDCARD;
          node = parent.get(key);
        }
        if (!node) {
          node = { children: new Map(), clusters: [] };
          parent.set(key, node);
        }
      }
      path.push({ parent, key, node });
      if (level === routing) return { node, path };
      parent = node.children;
      key = tokens[level];
    }
  }

  private evictOldest(): void {
    const oldest = this.lru.keys().next().value as Cluster;
    this.lru.delete(oldest);
    const i = oldest.leaf.indexOf(oldest);
    if (i >= 0) oldest.leaf.splice(i, 1);
    // Prune branches left empty, deepest first.
    for (let j = oldest.path.length - 1; j >= 0; j--) {
      const { parent, key, node } = oldest.path[j];
      if (node.clusters.length > 0 || node.children.size > 0) break;
      if (parent.get(key) === node) parent.delete(key);
    }
  }
}

/** Whitespace tokens, digit-bearing ones masked to `<*>`, at most `max` (a cut adds one `<*>`). */
export function tokenize(message: string, max: number): string[] {
  const raw = message.trim().split(/\s+/);
  const out: string[] = [];
  const n = Math.min(raw.length, max);
  for (let i = 0; i < n; i++) {
    const t = raw[i];
    if (t.length === 0) continue;
    out.push(HAS_DIGIT.test(t) ? WILDCARD : t);
  }
  if (raw.length > max) out.push(WILDCARD);
  if (out.length === 0) out.push('');
  return out;
}

function similarity(template: string[], tokens: string[]): [number, number] {
  let same = 0;
  let params = 0;
  for (let i = 0; i < template.length; i++) {
    // A masked token meets a wildcard as an equal; a wildcard over a word counts as a parameter.
    if (template[i] === tokens[i]) same++;
    else if (template[i] === WILDCARD) params++;
  }
  return [same / template.length, params];
}

function templateIdOf(tokens: string[]): string {
  return 't-' + createHash('sha1').update(tokens.join(' ')).digest('hex').slice(0, 16);
}
