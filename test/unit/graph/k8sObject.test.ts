import { parsePublishedTopology, refOfResourceKey, resourceOfObject } from '../../../src/graph/k8sObject';
import { OBJECTS } from '../../fixtures/graph/incident';

const obj = (kind: string) => OBJECTS.find((o) => o.kind === kind)!;

describe('Kubernetes object → resource row', () => {
  it('derives RUNS_ON and CONTROLS from a pod', () => {
    const o = obj('Pod');
    const r = resourceOfObject(o.object, refOfResourceKey('Pod', o.id)!);
    expect(r).toEqual({
      ok: true,
      value: {
        rid: 'Pod/shop/web-7d9-abc', kind: 'Pod', namespace: 'shop', name: 'web-7d9-abc', uid: 'u-pod',
        labels: ['app=web', 'pod-template-hash=7d9'], selector: [], runsOn: 'Node//n1', ownedBy: ['ReplicaSet/shop/web-7d9'], phase: 'Running',
      },
    });
  });
  it("keeps a service's selector and a cluster-scoped node without namespace", () => {
    const s = resourceOfObject(obj('Service').object, refOfResourceKey('Service', 'shop/web')!);
    expect(s.ok && s.value.selector).toEqual(['app=web']);
    expect(refOfResourceKey('Node', 'n1')?.rid).toBe('Node//n1');
    expect(refOfResourceKey('node', '/n1')?.rid).toBe('Node//n1');
  });
  it('rejects a value that does not match its key, or is not an object', () => {
    expect(resourceOfObject(obj('Pod').object, refOfResourceKey('Pod', 'shop/other')!)).toMatchObject({ ok: false, reason: expect.stringMatching(/metadata.name/) });
    expect(resourceOfObject(obj('Pod').object, refOfResourceKey('Service', 'shop/web-7d9-abc')!)).toMatchObject({ ok: false, reason: expect.stringMatching(/kind Pod/) });
    expect(resourceOfObject([1], refOfResourceKey('Pod', 'shop/x')!)).toMatchObject({ ok: false });
  });
});

describe('published topology', () => {
  it('accepts strings and objects, and names a bad edge', () => {
    const ok = parsePublishedTopology({ edges: [{ from: 'Pod/shop/a', to: { kind: 'Node', name: 'n1' }, type: 'RUNS_ON' }] });
    expect(ok).toEqual({ ok: true, value: [{ from: { rid: 'Pod/shop/a', kind: 'Pod', namespace: 'shop', name: 'a' }, to: { rid: 'Node//n1', kind: 'Node', namespace: '', name: 'n1' }, type: 'RUNS_ON' }] });
    expect(parsePublishedTopology([{ from: 'Pod/shop/a', to: 'Node/n1', type: 'LIKES' }])).toMatchObject({ ok: false, reason: expect.stringMatching(/edges\[0\]\.type/) });
    expect(parsePublishedTopology({ nope: 1 })).toMatchObject({ ok: false });
  });
});
