// Text that only documents the APIs (route summaries and descriptions, header notes, schema
// descriptions through shared/zod.ts `doc`) feeds the
// OpenAPI document, which a bundle does not build: it serves the document `npm run build` wrote
// beside it (shared/http/handler.ts openApiRoute). So the text stays out of the bundles: in a
// bundle DOCS is false (scripts/bundle.ts defines process.env.BATCH_SCF_BUNDLE and esbuild folds
// this test into every use), and each `...(DOCS && { summary: … })` or `...doc(DOCS && "…")` drops
// out with its strings.
// Under tsx and vitest, where the document is built from the routes, DOCS is true.
export const DOCS = process.env.BATCH_SCF_BUNDLE !== "1";
