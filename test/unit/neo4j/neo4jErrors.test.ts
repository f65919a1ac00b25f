import { Neo4jError } from 'neo4j-driver';
import { ensureSchemaRule, isPermanentGraphError, isTransientGraphError } from '../../../src/neo4j/neo4jErrors';

/** A Neo4jError as the driver builds it from a server FAILURE (code, message) or raises it itself. */
const neo = (code: string, message: string) => new Neo4jError(message, code, '50N42', 'error: general processing exception');

describe('isTransientGraphError', () => {
  it.each([
    ['ServiceUnavailable', 'Could not perform discovery. No routing servers available.'],
    ['ServiceUnavailable', 'Failed to connect to server. Please ensure that your database is listening on the correct host and port and that you have compatible encryption settings both on Neo4j server and driver. Caused by: connect ECONNREFUSED 127.0.0.1:7687'],
    ['SessionExpired', 'Connection was closed by server'],
    ['Neo.ClientError.Cluster.NotALeader', 'No write operations are allowed on this database. This is a read only Neo4j instance.'],
    ['Neo.ClientError.General.ForbiddenOnReadOnlyDatabase', 'Writing in read access mode not allowed. Attempted write to internal graph 0 (neo4j)'],
    ['Neo.TransientError.Transaction.DeadlockDetected', "ForsetiClient[transactionId=42, clientId=7] can't acquire ExclusiveLock{owner=ForsetiClient[transactionId=41, clientId=3]} on NODE(12), because holders of that lock are waiting for ForsetiClient[transactionId=42, clientId=7]."],
    ['Neo.TransientError.General.DatabaseUnavailable', 'Database acme is unavailable.'],
    ['Neo.TransientError.Transaction.LockAcquisitionTimeout', 'Unable to acquire lock within configured timeout (db.lock.acquisition.timeout).'],
    ['N/A', 'Connection acquisition timed out in 60000 ms. Pool status: Active conn count = 100, Idle conn count = 0.'],
  ])('%s (%s) is transient', (code, message) => {
    expect(isTransientGraphError(neo(code, message))).toBe(true);
    expect(isPermanentGraphError(neo(code, message))).toBe(false);
  });

  it.each([
    ['Neo.DatabaseError.Statement.ExecutionFailed', "Property value is too large to index, please see index documentation for limitations. Index: Index( id=3, name='resource_rid', type='RANGE', schema=(:Resource {client, rid}), indexProvider='range-1.0' ), entity id: 1234, property size: 200012."],
    ['Neo.DatabaseError.General.UnknownError', 'java.lang.IllegalStateException: something the server did not expect'],
    ['Neo.ClientError.Statement.SyntaxError', "Invalid input 'MERG': expected 'MERGE' (line 1, column 1 (offset: 0))"],
    ['Neo.ClientError.Statement.TypeError', 'Property values can only be of primitive types or arrays thereof. Encountered: Map{}.'],
    ['Neo.ClientError.Schema.ConstraintValidationFailed', "Node(7) already exists with label `Resource` and properties `client` = 'acme', `rid` = 'Pod/shop/web-1'"],
    ['Neo.ClientError.Database.DatabaseNotFound', 'Database does not exist. Database name: \'acme\'.'],
    ['Neo.ClientError.Security.Unauthorized', 'The client is unauthorized due to authentication failure.'],
    ['Neo.TransientError.Transaction.Terminated', 'The transaction has been terminated. Retry your operation in a new transaction, and you should see a successful result.'],
    ['Neo.TransientError.Transaction.LockClientStopped', 'The transaction has been terminated, no new locks can be acquired in the same transaction.'],
  ])('%s is permanent', (code, message) => {
    expect(isTransientGraphError(neo(code, message))).toBe(false);
    expect(isPermanentGraphError(neo(code, message))).toBe(true);
  });

  it('takes socket errors as transient and our own errors as permanent', () => {
    expect(isTransientGraphError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7687'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransientGraphError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransientGraphError(new TypeError("Cannot read properties of undefined (reading 'rid')"))).toBe(false);
    expect(isTransientGraphError(new RangeError('Invalid array length'))).toBe(false);
    expect(isTransientGraphError(new Error('boom'))).toBe(false);
    expect(isTransientGraphError(undefined)).toBe(false);
    expect(isTransientGraphError('a string')).toBe(false);
  });
});

describe('ensureSchemaRule (several builders creating the schema at once)', () => {
  const error = (code: string) => Object.assign(new Error(code), { code });
  const failing = (errs: Error[]) => {
    let calls = 0;
    return { run: async () => void (calls < errs.length ? (() => { throw errs[calls++]; })() : calls++), calls: () => calls };
  };
  const noPause = async () => undefined;

  it('retries a deadlock until the statement runs, and counts a rule another process created as done', async () => {
    const dl = failing([error('Neo.TransientError.Transaction.DeadlockDetected'), error('Neo.TransientError.Transaction.DeadlockDetected')]);
    const retried: number[] = [];
    await ensureSchemaRule(dl.run, (n) => retried.push(n), 8, noPause);
    expect([dl.calls(), retried]).toEqual([3, [1, 2]]);
    const exists = failing([error('Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists')]);
    await ensureSchemaRule(exists.run, undefined, 8, noPause);
    expect(exists.calls()).toBe(1);
  });

  it('throws a permanent error at once and a transient one after the last try', async () => {
    const syntax = failing([error('Neo.ClientError.Statement.SyntaxError')]);
    await expect(ensureSchemaRule(syntax.run, undefined, 8, noPause)).rejects.toThrow('SyntaxError');
    expect(syntax.calls()).toBe(1);
    const stuck = failing(Array.from({ length: 5 }, () => error('Neo.TransientError.Transaction.DeadlockDetected')));
    await expect(ensureSchemaRule(stuck.run, undefined, 3, noPause)).rejects.toThrow('DeadlockDetected');
    expect(stuck.calls()).toBe(3);
  });
});
