// The operations the SDK is generated from: valid against the public API schema and covering every root field of it,
// so no part of the API is missing from the typed client.
import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, Kind, parse, validate, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import * as generated from '../src/generated/graphql.ts';

const sdkRoot = path.resolve(__dirname, '..');
const schema = buildSchema(fs.readFileSync(path.join(sdkRoot, '..', 'gateway', 'api-schema.graphql'), 'utf8'));
const files = fs.readdirSync(path.join(sdkRoot, 'operations')).filter((f) => f.endsWith('.graphql'));
const document: DocumentNode = {
  kind: Kind.DOCUMENT,
  definitions: files.flatMap((f) => parse(fs.readFileSync(path.join(sdkRoot, 'operations', f), 'utf8')).definitions),
};
const operations = document.definitions.filter(
  (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
);

describe('client-sdk/operations', () => {
  it('are valid against gateway/api-schema.graphql', () => {
    expect(validate(schema, document).map((e) => e.message)).toEqual([]);
  });

  it.each([
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
    ['subscription', schema.getSubscriptionType()],
  ] as const)('cover every %s field of the public API', (kind, type) => {
    const covered = new Set(
      operations
        .filter((o) => o.operation === kind)
        .flatMap((o) => o.selectionSet.selections)
        .flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : [])),
    );
    const missing = Object.keys(type!.getFields()).filter((field) => !covered.has(field));
    expect(missing).toEqual([]);
  });

  it('each have a generated TypedDocumentNode exported by the SDK', () => {
    const suffix = { query: 'Document', mutation: 'Document', subscription: 'Document' };
    for (const operation of operations) {
      const name = `${operation.name!.value}${suffix[operation.operation]}`;
      const exported = (generated as Record<string, unknown>)[name] as DocumentNode | undefined;
      expect(exported?.kind).toBe(Kind.DOCUMENT);
    }
  });
});

describe('what a browser loads', () => {
  it('imports nothing Node-only: at run time only graphql, graphql-ws/client and its own modules', () => {
    const srcDir = path.join(sdkRoot, 'src');
    // The React entry point (`@chatgraph/sdk/react`) is the one place that imports React, loaded only by apps using it.
    const sources = fs
      .readdirSync(srcDir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.startsWith(`react${path.sep}`));
    const runtimeImports = new Set<string>();
    for (const file of sources) {
      const text = fs.readFileSync(path.join(srcDir, file), 'utf8');
      for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms))
        runtimeImports.add(m[1]!);
      expect(text).not.toMatch(/\b(process|Buffer|__dirname|require)\s*[.(]/);
    }
    expect([...runtimeImports].filter((m) => !m.startsWith('./')).sort()).toEqual(['graphql', 'graphql-ws/client']);
  });

  it('imports React only in the separate `@chatgraph/sdk/react` entry point', () => {
    const entry = fs.readFileSync(path.join(sdkRoot, 'src', 'react', 'index.ts'), 'utf8');
    const imports = [...entry.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
    expect(imports.filter((m) => !m.startsWith('../')).sort()).toEqual(['react']);
    const pkg = JSON.parse(fs.readFileSync(path.join(sdkRoot, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    expect(Object.keys(pkg.exports)).toEqual(['.', './react', './package.json']);
    expect(pkg.peerDependenciesMeta.react?.optional).toBe(true);
  });

  it('is built without Node types, so a Node-only global does not compile', () => {
    const tsconfig = fs.readFileSync(path.join(sdkRoot, 'tsconfig.json'), 'utf8');
    expect(tsconfig).toMatch(/"types": \[\]/);
    expect(tsconfig).toMatch(/"lib": \[[^\]]*"DOM"/);
  });
});
