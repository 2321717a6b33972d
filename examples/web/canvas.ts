// Drawing helpers for the demo's canvases: a plot area with ticks and axis labels, and the
// markers of the contour plots (start ring, minimum star), in the style of the SVG plots.
import { formatTick, scale, ticks } from "../../src/plot/svg";

export interface Axis {
  lo: number;
  hi: number;
  label: string;
  log?: boolean;
}

/** A plot area inside a canvas and its maps from data to pixels. */
export interface Frame {
  left: number;
  top: number;
  width: number;
  height: number;
  x: (v: number) => number;
  y: (v: number) => number;
}

/** Room for the tick values and axis labels. */
export const MARGIN = { left: 58, right: 12, top: 10, bottom: 42 };

export function frame(left: number, top: number, width: number, height: number, x: Axis, y: Axis): Frame {
  return {
    left, top, width, height,
    x: scale(x.lo, x.hi, left, left + width, x.log),
    y: scale(y.lo, y.hi, top + height, top, y.log),
  };
}

/** Round tick values; a log axis spanning less than a factor of 2 gets linear ones. */
function axisTicks(a: Axis): number[] {
  const values = ticks(a.lo, a.hi, a.log);
  return a.log && values.length < 2 ? ticks(a.lo, a.hi) : values;
}

/** The plot area's border, ticks with their values, and the axis labels. */
export function drawAxes(ctx: CanvasRenderingContext2D, f: Frame, x: Axis, y: Axis): void {
  ctx.save();
  ctx.strokeStyle = "#888";
  ctx.fillStyle = "#333";
  ctx.lineWidth = 1;
  ctx.setLineDash([]);
  ctx.font = "12px system-ui, sans-serif";
  ctx.strokeRect(f.left + 0.5, f.top + 0.5, f.width, f.height);
  const bottom = f.top + f.height;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const t of axisTicks(x)) {
    const px = Math.round(f.x(t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(px, bottom);
    ctx.lineTo(px, bottom + 5);
    ctx.stroke();
    ctx.fillText(formatTick(t), px, bottom + 7);
  }
  ctx.fillText(x.label, f.left + f.width / 2, bottom + 24);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const t of axisTicks(y)) {
    const py = Math.round(f.y(t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(f.left - 5, py);
    ctx.lineTo(f.left, py);
    ctx.stroke();
    ctx.fillText(formatTick(t), f.left - 7, py);
  }
  ctx.translate(14, f.top + f.height / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = "center";
  ctx.fillText(y.label, 0, 0);
  ctx.restore();
}

/** The start of the trajectories: a black ring. */
export function drawStart(ctx: CanvasRenderingContext2D, x: number, y: number): void {
  ctx.save();
  ctx.setLineDash([]);
  ctx.strokeStyle = "black";
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.arc(x, y, 6, 0, 2 * Math.PI);
  ctx.stroke();
  ctx.restore();
}

/** The minimum: a black five-pointed star with a white rim. */
export function drawStar(ctx: CanvasRenderingContext2D, x: number, y: number, radius = 8): void {
  ctx.save();
  ctx.setLineDash([]);
  ctx.beginPath();
  for (let k = 0; k < 10; k++) {
    const r = k % 2 ? radius * 0.45 : radius;
    const angle = -Math.PI / 2 + (k * Math.PI) / 5;
    ctx.lineTo(x + r * Math.cos(angle), y + r * Math.sin(angle));
  }
  ctx.closePath();
  ctx.fillStyle = "black";
  ctx.strokeStyle = "white";
  ctx.lineWidth = 1.5;
  ctx.stroke();
  ctx.fill();
  ctx.restore();
}
