// comlink ships node-adapter.mjs with its types in node-adapter.d.ts; this maps one onto the other.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import nodeEndpoint from 'comlink/dist/esm/node-adapter';
  export default nodeEndpoint;
}
