// The model's layer graph as SVG (laid out by dagre in the worker), each layer coloured by its
// status (quantized / exact / float). Clicking a layer selects its row in the table.
import { inSlices } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * @param {{width: number, height: number, nodes: any[], edges: {x: number, y: number}[][]}} graph
 * @param {HTMLElement} box
 * @param {(name: string) => void} onSelect
 * @param {() => boolean} [stillWanted] false stops drawing (another model was loaded)
 * @returns {Promise<boolean>} false when stopped early
 * The nodes are added in time-budgeted slices, one per frame (a large model has hundreds).
 */
export async function renderGraph(graph, box, onSelect, stillWanted = () => true) {
  const root = svg('svg', { viewBox: `0 0 ${Math.ceil(graph.width)} ${Math.ceil(graph.height)}`, width: Math.ceil(graph.width), height: Math.ceil(graph.height), role: 'img', 'aria-label': `layer graph, ${graph.nodes.length} layers` });
  const edges = svg('g', { class: 'edges' });
  for (const points of graph.edges) edges.append(svg('polyline', { points: points.map((p) => `${p.x},${p.y}`).join(' ') }));
  root.append(edges);
  box.replaceChildren(root);
  return inSlices(graph.nodes, (n) => {
    const g = svg('g', { class: `node status-${n.status}`, 'data-layer': n.name, tabindex: 0, role: 'button', transform: `translate(${n.x - n.width / 2},${n.y - n.height / 2})` });
    g.append(svg('title', {}, `${n.name} (${n.className}): ${n.status}`));
    g.append(svg('rect', { width: n.width, height: n.height, rx: 5 }));
    g.append(svg('text', { x: n.width / 2, y: n.height / 2 + 4, 'text-anchor': 'middle' }, n.name));
    const select = () => onSelect(n.name);
    g.addEventListener('click', select);
    g.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        select();
      }
    });
    root.append(g);
  }, { stillWanted });
}
