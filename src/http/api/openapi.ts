/** The OpenAPI 3.0 document of the API (GET /api/v1/openapi.json). */
const err = { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
const client = { name: 'client', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z][a-z0-9-]{1,40}[a-z0-9]$' }, description: 'client id (a lowercase letter first, then [a-z0-9-], 3 to 42 characters, no trailing "-")' };
const fingerprint = { name: 'fingerprint', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,128}$' }, description: "the alert's Alertmanager fingerprint" };
const json = (ref: string, description = 'ok') => ({ description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const errors = { 400: err, 401: err, 403: err, 404: err, 503: err };

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.0.3',
    info: { title: 'kgroot API', version: '1', description: 'Clients, incidents (alerts with their ranked root causes, evidence paths and causal subgraph), topology around a resource, and feedback on causes. Bearer tokens: API_ADMIN_TOKEN reads everything and confirms; API_CLIENT_TOKENS read one client each. Without tokens, loopback callers only.' },
    security: [{ bearer: [] }],
    paths: {
      '/api/v1/clients': { get: { summary: 'clients with state, heartbeat and workers (a client token sees its own client only)', responses: { 200: json('Clients'), 401: err } } },
      '/api/v1/clients/{client}/incidents': {
        get: {
          summary: "a client's incidents, newest first: state, top cause, fault type, times",
          parameters: [client, { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } }, { name: 'state', in: 'query', schema: { type: 'string', enum: ['firing', 'resolved'] } }],
          responses: { 200: json('Incidents'), ...errors },
        },
      },
      '/api/v1/clients/{client}/incidents/{fingerprint}': {
        get: { summary: 'one incident: ranked causes with evidence paths, the causal subgraph, the timeline', parameters: [client, fingerprint], responses: { 200: json('IncidentDetail'), ...errors } },
      },
      '/api/v1/clients/{client}/incidents/{fingerprint}/confirm': {
        post: {
          summary: 'feedback on a cause (admin token): confirmed or rejected, stored on the alert',
          parameters: [client, fingerprint],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['cause'], properties: { cause: { type: 'string', description: 'event id of the cause' }, verdict: { type: 'string', enum: ['confirmed', 'rejected'], default: 'confirmed' } } } } } },
          responses: { 200: json('Feedback'), ...errors },
        },
      },
      '/api/v1/clients/{client}/incidents/live': { get: { summary: 'server-sent events: `incidents` with the list whenever it changed', parameters: [client], responses: { 200: { description: 'text/event-stream' }, ...errors } } },
      '/api/v1/clients/{client}/incidents/{fingerprint}/live': { get: { summary: 'server-sent events: `incident` with the detail whenever it changed', parameters: [client, fingerprint], responses: { 200: { description: 'text/event-stream' }, ...errors } } },
      '/api/v1/clients/{client}/graph': {
        get: {
          summary: 'resources within depth topology edges of a resource, and the edges among them',
          parameters: [client, { name: 'around', in: 'query', required: true, schema: { type: 'string' }, description: 'resource id Kind/namespace/name (Node//name)' }, { name: 'depth', in: 'query', schema: { type: 'integer', minimum: 0, maximum: 3, default: 2 } }],
          responses: { 200: json('ResourceGraph'), ...errors },
        },
      },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' }, parameter: { type: 'string', description: 'the parameter at fault (400)' } } },
        Clients: { type: 'object', properties: { spawner: { type: 'string' }, workersAsOf: { type: 'string' }, clients: { type: 'array', items: { type: 'object' } }, rejected: { type: 'object' } } },
        PathStep: { type: 'object', properties: { eid: { type: 'string' }, reason: { type: 'string' }, resource: { type: 'string', nullable: true }, at: { type: 'string', nullable: true }, rule: { type: 'string' }, confidence: { type: 'number' } } },
        Cause: {
          type: 'object',
          properties: { rank: { type: 'integer' }, score: { type: 'number' }, eid: { type: 'string' }, reason: { type: 'string' }, category: { type: 'string', nullable: true }, resource: { type: 'string', nullable: true }, at: { type: 'string', nullable: true }, hops: { type: 'integer' }, path: { type: 'array', items: { $ref: '#/components/schemas/PathStep' } } },
        },
        Incident: {
          type: 'object',
          properties: {
            fingerprint: { type: 'string' }, eid: { type: 'string' }, alertname: { type: 'string' }, state: { type: 'string', enum: ['firing', 'resolved'] }, severity: { type: 'string' },
            startsAt: { type: 'string' }, endsAt: { type: 'string', nullable: true }, resource: { type: 'string', nullable: true }, summary: { type: 'string', nullable: true },
            faultType: { type: 'string', nullable: true }, topCause: { type: 'object', nullable: true }, confirmedCause: { type: 'string', nullable: true },
          },
        },
        Incidents: { type: 'object', properties: { client: { type: 'string' }, incidents: { type: 'array', items: { $ref: '#/components/schemas/Incident' } } } },
        IncidentDetail: {
          type: 'object',
          properties: {
            client: { type: 'string' }, incident: { $ref: '#/components/schemas/Incident' }, faultType: { type: 'string', nullable: true },
            causes: { type: 'array', items: { $ref: '#/components/schemas/Cause' } },
            graph: { type: 'object', properties: { nodes: { type: 'array', items: { type: 'object', description: 'id (eid), reason, category, source, resource, at, role: alert|root|cause|step, rank' } }, edges: { type: 'array', items: { type: 'object', description: 'id, source, target, rule, confidence' } } } },
            timeline: { type: 'array', items: { type: 'object', description: 'at, eid, reason, source, resource, severity, count, message' } },
          },
        },
        Feedback: { type: 'object', properties: { client: { type: 'string' }, fingerprint: { type: 'string' }, alert: { type: 'string' }, cause: { type: 'string' }, verdict: { type: 'string' }, confirmedCause: { type: 'string', nullable: true }, rejectedCauses: { type: 'array', items: { type: 'string' } } } },
        ResourceGraph: { type: 'object', properties: { client: { type: 'string' }, around: { type: 'string' }, depth: { type: 'integer' }, nodes: { type: 'array', items: { type: 'object' } }, edges: { type: 'array', items: { type: 'object' } } } },
      },
    },
  };
}
