// A chart is laid out once as a list of pixel-space primitives, then rendered twice: into a
// Canvas for PNG and as SVG text. Same layout, so the two pictures cannot disagree.
import { Canvas, type HAlign, type MarkerShape, type Rgb, type VAlign } from './canvas';
import { GLYPH_HEIGHT } from './font';

export type Primitive =
  | { type: 'rect'; x: number; y: number; w: number; h: number; fill?: Rgb; stroke?: Rgb }
  | { type: 'line'; x1: number; y1: number; x2: number; y2: number; color: Rgb; width: number; dash?: [number, number] }
  | { type: 'polyline'; points: number[]; color: Rgb; width: number; name: string; dash?: [number, number] }
  | { type: 'marker'; x: number; y: number; shape: MarkerShape; size: number; color: Rgb }
  | { type: 'text'; x: number; y: number; text: string; color: Rgb; scale: number; align: HAlign; valign: VAlign; rotate?: 0 | -90 };

export interface Scene {
  width: number;
  height: number;
  background: Rgb;
  items: Primitive[];
}

export function renderPng(scene: Scene): Buffer {
  const cv = new Canvas(scene.width, scene.height, scene.background);
  for (const p of scene.items) {
    switch (p.type) {
      case 'rect':
        if (p.fill) cv.fillRect(p.x, p.y, p.w, p.h, p.fill);
        if (p.stroke) cv.strokeRect(p.x, p.y, p.w, p.h, p.stroke);
        break;
      case 'line':
        cv.line(p.x1, p.y1, p.x2, p.y2, p.color, p.width, p.dash);
        break;
      case 'polyline':
        for (let i = 2; i < p.points.length; i += 2) {
          cv.line(p.points[i - 2], p.points[i - 1], p.points[i], p.points[i + 1], p.color, p.width, p.dash);
        }
        if (p.points.length === 2) cv.marker(p.points[0], p.points[1], 'circle', p.width + 2, p.color);
        break;
      case 'marker':
        cv.marker(p.x, p.y, p.shape, p.size, p.color);
        break;
      case 'text':
        cv.text(p.text, p.x, p.y, p.color, { scale: p.scale, align: p.align, valign: p.valign, rotate: p.rotate });
        break;
    }
  }
  return cv.toPng();
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

function rgb(c: Rgb): string {
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

function num(v: number): string {
  return String(Math.round(v * 100) / 100);
}

export function renderSvg(scene: Scene, title?: string): string {
  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${scene.width}" height="${scene.height}" viewBox="0 0 ${scene.width} ${scene.height}">`);
  if (title) out.push(`<title>${escapeXml(title)}</title>`);
  out.push(`<rect x="0" y="0" width="${scene.width}" height="${scene.height}" fill="${rgb(scene.background)}"/>`);
  for (const p of scene.items) {
    switch (p.type) {
      case 'rect':
        out.push(`<rect x="${num(p.x)}" y="${num(p.y)}" width="${num(p.w)}" height="${num(p.h)}" fill="${p.fill ? rgb(p.fill) : 'none'}"${p.stroke ? ` stroke="${rgb(p.stroke)}"` : ''}/>`);
        break;
      case 'line':
        out.push(`<line x1="${num(p.x1)}" y1="${num(p.y1)}" x2="${num(p.x2)}" y2="${num(p.y2)}" stroke="${rgb(p.color)}" stroke-width="${p.width}"${p.dash ? ` stroke-dasharray="${p.dash.join(' ')}"` : ''}/>`);
        break;
      case 'polyline': {
        const pts: string[] = [];
        for (let i = 0; i < p.points.length; i += 2) pts.push(`${num(p.points[i])},${num(p.points[i + 1])}`);
        out.push(`<polyline class="${escapeXml(p.name)}" points="${pts.join(' ')}" fill="none" stroke="${rgb(p.color)}" stroke-width="${p.width}"${p.dash ? ` stroke-dasharray="${p.dash.join(' ')}"` : ''} stroke-linejoin="round"/>`);
        break;
      }
      case 'marker': {
        const r = p.size / 2;
        if (p.shape === 'circle') out.push(`<circle cx="${num(p.x)}" cy="${num(p.y)}" r="${num(r)}" fill="${rgb(p.color)}"/>`);
        else if (p.shape === 'square') out.push(`<rect x="${num(p.x - r)}" y="${num(p.y - r)}" width="${p.size}" height="${p.size}" fill="${rgb(p.color)}"/>`);
        else if (p.shape === 'cross') {
          out.push(`<path d="M${num(p.x - r)},${num(p.y - r)} L${num(p.x + r)},${num(p.y + r)} M${num(p.x - r)},${num(p.y + r)} L${num(p.x + r)},${num(p.y - r)}" stroke="${rgb(p.color)}" stroke-width="2"/>`);
        } else {
          const pts = p.shape === 'diamond'
            ? [[p.x, p.y - r], [p.x + r, p.y], [p.x, p.y + r], [p.x - r, p.y]]
            : [[p.x, p.y - r], [p.x + r, p.y + r], [p.x - r, p.y + r]];
          out.push(`<polygon points="${pts.map(([a, b]) => `${num(a)},${num(b)}`).join(' ')}" fill="${rgb(p.color)}"/>`);
        }
        break;
      }
      case 'text': {
        // The bitmap font's cap height is 7 cells; a sans-serif font-size of ~1.4× that matches.
        const size = Math.round(GLYPH_HEIGHT * p.scale * 1.4);
        const baseline = p.valign === 'top' ? 'hanging' : p.valign === 'middle' ? 'middle' : 'alphabetic';
        const rot = p.rotate === -90 ? ` transform="rotate(-90 ${num(p.x)} ${num(p.y)})"` : '';
        out.push(`<text x="${num(p.x)}" y="${num(p.y)}" font-family="sans-serif" font-size="${size}" fill="${rgb(p.color)}" text-anchor="${p.align}" dominant-baseline="${baseline}"${rot}>${escapeXml(p.text)}</text>`);
        break;
      }
    }
  }
  out.push(`</svg>`);
  return out.join('\n') + '\n';
}
