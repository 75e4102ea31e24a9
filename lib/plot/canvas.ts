// An RGBA raster that pictures are drawn into before pngjs encodes it. Only what the plots
// need: filled rectangles, thick lines, markers and 5×7 bitmap text (optionally rotated).
import { PNG } from 'pngjs';
import { GLYPH_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyph, textWidth } from './font';

export type Rgb = readonly [number, number, number];

export type HAlign = 'start' | 'middle' | 'end';
/** matplotlib's 'o', 's', 'D', 'x', '^'. */
export type MarkerShape = 'circle' | 'square' | 'diamond' | 'cross' | 'triangle';
export type VAlign = 'top' | 'middle' | 'bottom';

export class Canvas {
  readonly data: Uint8Array;

  constructor(readonly width: number, readonly height: number, background: Rgb = [255, 255, 255]) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new RangeError(`Canvas: width and height must be positive integers, received ${width}×${height}.`);
    }
    this.data = new Uint8Array(width * height * 4);
    this.fillRect(0, 0, width, height, background);
  }

  setPixel(x: number, y: number, c: Rgb): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const o = (y * this.width + x) * 4;
    this.data[o] = c[0];
    this.data[o + 1] = c[1];
    this.data[o + 2] = c[2];
    this.data[o + 3] = 255;
  }

  fillRect(x: number, y: number, w: number, h: number, c: Rgb): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) {
      let o = (yy * this.width + x0) * 4;
      for (let xx = x0; xx < x1; xx++, o += 4) {
        this.data[o] = c[0];
        this.data[o + 1] = c[1];
        this.data[o + 2] = c[2];
        this.data[o + 3] = 255;
      }
    }
  }

  strokeRect(x: number, y: number, w: number, h: number, c: Rgb, thickness = 1): void {
    this.fillRect(x, y, w, thickness, c);
    this.fillRect(x, y + h - thickness, w, thickness, c);
    this.fillRect(x, y, thickness, h, c);
    this.fillRect(x + w - thickness, y, thickness, h, c);
  }

  /** A line drawn with a square brush of `thickness` pixels; `dash` = [on, off] pixel lengths. */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, thickness = 1, dash?: readonly [number, number]): void {
    const dx = x1 - x0;
    const dy = y1 - y0;
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(dx), Math.abs(dy))));
    const half = (thickness - 1) / 2;
    const period = dash ? dash[0] + dash[1] : 0;
    for (let i = 0; i <= steps; i++) {
      if (dash && i % period >= dash[0]) continue;
      const x = x0 + (dx * i) / steps;
      const y = y0 + (dy * i) / steps;
      if (thickness <= 1) this.setPixel(x, y, c);
      else this.fillRect(Math.round(x - half), Math.round(y - half), thickness, thickness, c);
    }
  }

  marker(x: number, y: number, shape: MarkerShape, size: number, c: Rgb): void {
    const r = size / 2;
    if (shape === 'square') {
      this.fillRect(Math.round(x - r), Math.round(y - r), size, size, c);
      return;
    }
    if (shape === 'cross') {
      this.line(x - r, y - r, x + r, y + r, c, 2);
      this.line(x - r, y + r, x + r, y - r, c, 2);
      return;
    }
    if (shape === 'diamond' || shape === 'triangle') {
      // Filled scanline by scanline: |dx| + |dy| ≤ r for the diamond; for the upward triangle the
      // half-width grows linearly from the apex (y − r) to the base (y + r).
      for (let yy = Math.floor(y - r); yy <= Math.ceil(y + r); yy++) {
        const half = shape === 'diamond' ? r - Math.abs(yy - y) : ((yy - (y - r)) / (2 * r)) * r;
        if (half < 0) continue;
        for (let xx = Math.ceil(x - half); xx <= Math.floor(x + half); xx++) this.setPixel(xx, yy, c);
      }
      return;
    }
    for (let yy = Math.floor(y - r); yy <= Math.ceil(y + r); yy++) {
      for (let xx = Math.floor(x - r); xx <= Math.ceil(x + r); xx++) {
        if ((xx - x) ** 2 + (yy - y) ** 2 <= r * r) this.setPixel(xx, yy, c);
      }
    }
  }

  /**
   * Bitmap text at an integer scale. (x, y) is the anchor point given by align/valign; with
   * rotate = -90 the text reads bottom-to-top (for a y-axis label) around the same anchor.
   */
  text(s: string, x: number, y: number, c: Rgb, opts: { scale?: number; align?: HAlign; valign?: VAlign; rotate?: 0 | -90 } = {}): void {
    const scale = Math.max(1, Math.round(opts.scale ?? 1));
    const w = textWidth(s, scale);
    const h = GLYPH_HEIGHT * scale;
    const along = opts.align === 'middle' ? -w / 2 : opts.align === 'end' ? -w : 0;
    const across = opts.valign === 'middle' ? -h / 2 : opts.valign === 'bottom' ? -h : 0;
    const chars = [...s];
    for (let k = 0; k < chars.length; k++) {
      const g = glyph(chars[k]);
      for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
        for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
          if (!g[gy * GLYPH_WIDTH + gx]) continue;
          // u runs along the text, v across it (downwards in glyph space).
          const u = Math.round(along) + (k * GLYPH_ADVANCE + gx) * scale;
          const v = Math.round(across) + gy * scale;
          if (opts.rotate === -90) this.fillRect(Math.round(x) + v, Math.round(y) - u - scale, scale, scale, c);
          else this.fillRect(Math.round(x) + u, Math.round(y) + v, scale, scale, c);
        }
      }
    }
  }

  /** Copies a grey-scale or RGB image (values 0..255) scaled up by an integer factor. */
  blit(pixels: ArrayLike<number>, w: number, h: number, channels: 1 | 3, x: number, y: number, scale: number): void {
    for (let yy = 0; yy < h; yy++) {
      for (let xx = 0; xx < w; xx++) {
        const c: Rgb = channels === 1
          ? [pixels[yy * w + xx], pixels[yy * w + xx], pixels[yy * w + xx]]
          : [pixels[yy * w + xx], pixels[w * h + yy * w + xx], pixels[2 * w * h + yy * w + xx]];
        this.fillRect(x + xx * scale, y + yy * scale, scale, scale, c);
      }
    }
  }

  /** PNG bytes (8-bit RGBA). */
  toPng(): Buffer {
    const png = new PNG({ width: this.width, height: this.height });
    png.data = Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    return PNG.sync.write(png, { colorType: 6 });
  }
}
