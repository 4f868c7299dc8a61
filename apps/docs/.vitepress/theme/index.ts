/**
 * The convkit theme: VitePress's default theme, the colour-blind-safe palette (style.css),
 * the widgets registered as global components, and the offline service worker.
 */
import type { Theme } from 'vitepress';
import DefaultTheme from 'vitepress/theme';
import BenchChart from './components/BenchChart.vue';
import ConvArithmetic from './components/ConvArithmetic.vue';
import CostCalculator from './components/CostCalculator.vue';
import DeformableExplorer from './components/DeformableExplorer.vue';
import MatrixViewer from './components/MatrixViewer.vue';
import ReceptiveField from './components/ReceptiveField.vue';
import RunIt from './components/RunIt.vue';
import ThreeWays from './components/ThreeWays.vue';
import TrainIt from './components/TrainIt.vue';
import Layout from './Layout.vue';
import './style.css';

const theme: Theme = {
  extends: DefaultTheme,
  Layout,
  enhanceApp({ app }) {
    app.component('BenchChart', BenchChart);
    app.component('ConvArithmetic', ConvArithmetic);
    app.component('CostCalculator', CostCalculator);
    app.component('DeformableExplorer', DeformableExplorer);
    app.component('MatrixViewer', MatrixViewer);
    app.component('ReceptiveField', ReceptiveField);
    app.component('RunIt', RunIt);
    app.component('ThreeWays', ThreeWays);
    app.component('TrainIt', TrainIt);
    if (typeof window !== 'undefined' && 'serviceWorker' in navigator && import.meta.env.PROD) {
      // After load, so caching the site never competes with the first paint.
      window.addEventListener('load', () => {
        navigator.serviceWorker.register(`${import.meta.env.BASE_URL}sw.js`).catch(() => {});
      });
    }
  },
};

export default theme;
