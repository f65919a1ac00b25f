/** The normalizers' result type lives in src/domain (src/graph parses objects with it too). */
export * from '../domain/result';
