/**
 * The VitePress configuration of the convkit site. The base path comes from DOCS_BASE
 * (default '/'), so the same build serves from a domain's root or from a sub-path such as
 * GitHub Pages' '/convkit/'. The widgets import the workspace packages, which Vite resolves
 * through their `import` condition to dist/: build the packages first (turbo does).
 */
import { defineConfig } from 'vitepress';
import { API_PACKAGES } from '../src/api-packages';
import { writeOfflineWorker } from './offline-worker';

const base = normaliseBase(process.env.DOCS_BASE ?? '/');

function normaliseBase(value: string): string {
  let b = value.trim() || '/';
  if (!b.startsWith('/')) b = `/${b}`;
  if (!b.endsWith('/')) b = `${b}/`;
  return b;
}

const topics = [
  { text: 'Convolution, three ways', link: '/topics/convolution' },
  { text: '1-D convolution', link: '/topics/conv1d' },
  { text: '1x1 convolution', link: '/topics/pointwise' },
  { text: 'Depthwise separable', link: '/topics/separable' },
  { text: 'Group convolution', link: '/topics/group' },
  { text: 'Transposed convolution', link: '/topics/transposed' },
  { text: 'Dilated convolution', link: '/topics/dilated' },
  { text: 'Deformable convolution', link: '/topics/deformable' },
];

const guide = [
  { text: 'Getting started', link: '/guide/getting-started' },
  { text: 'Layouts', link: '/guide/layouts' },
  { text: "Padding and 'same'", link: '/guide/padding' },
  { text: "Algorithms and 'auto'", link: '/guide/algorithms' },
  { text: 'Errors', link: '/guide/errors' },
  { text: 'Threads', link: '/guide/threads' },
  { text: 'WebGPU', link: '/guide/gpu' },
  { text: 'Layers and training', link: '/guide/layers' },
  { text: 'Performance', link: '/guide/performance' },
  { text: 'Base path and offline use', link: '/guide/deploying' },
];

const api = [
  { text: 'Overview', link: '/api/' },
  ...API_PACKAGES.map((p) => ({ text: p.name, link: `/api/${p.dir}` })),
];

export default defineConfig({
  base,
  lang: 'en',
  title: 'convkit',
  description: 'Every convolution of deep learning, computed live in your browser by the real packages.',
  cleanUrls: false,
  lastUpdated: false,
  head: [
    ['meta', { name: 'theme-color', content: '#0b4f8a' }],
    ['link', { rel: 'icon', type: 'image/svg+xml', href: `${base}favicon.svg` }],
  ],
  // High-contrast code colours: the default themes' comments and labels fail WCAG AA contrast.
  markdown: { theme: { light: 'github-light-high-contrast', dark: 'github-dark-high-contrast' } },
  srcExclude: ['README.md', 'examples/**', 'e2e/**', 'test/**', 'scripts/**', 'src/**'],
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/getting-started' },
      { text: 'Topics', link: '/topics/convolution' },
      { text: 'Playground', link: '/playground' },
      { text: 'API', link: '/api/' },
    ],
    sidebar: {
      '/guide/': [{ text: 'Guide', items: guide }],
      '/topics/': [{ text: 'Topics', items: topics }],
      '/api/': [{ text: 'API reference', items: api }],
      '/playground': [{ text: 'Topics', items: topics }],
    },
    search: { provider: 'local' },
    outline: { level: [2, 3] },
    footer: {
      message:
        'MIT licence. Every number on these pages is computed by the convkit packages in your browser.',
    },
  },
  vite: {
    // The packages are ESM and side-effect free; the kernels are loaded on demand by the widgets.
    // The local search index holds the API pages too (about 2.5 MB); it loads only when search opens.
    // ES2022: the kernels' worker uses top-level await (every browser with WebAssembly SIMD has it).
    build: { chunkSizeWarningLimit: 4000, target: 'es2022' },
    // @convkit/kernels-cpu ships a module worker for its thread pool (createCpuContext); it
    // uses top-level await, so workers are bundled as ES modules.
    worker: { format: 'es' },
  },
  buildEnd: async (siteConfig) => {
    await writeOfflineWorker(siteConfig.outDir, base);
  },
});
