// Formatting of durations, sizes, times and arbitrary values for display.

// "45 s", "3 m 07 s", "2 h 05 m", "4 d 03 h"; "—" for a missing value.
export function formatDuration(ms) {
  if (!Number.isFinite(ms) || ms < 0)
    return '—';
  const s = Math.floor(ms / 1000);
  if (s < 60)
    return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60)
    return `${m} m ${pad2(s % 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 24)
    return `${h} h ${pad2(m % 60)} m`;
  return `${Math.floor(h / 24)} d ${pad2(h % 24)} h`;
}

// "512 B", "1.5 KiB", "12.0 MiB"; "—" for a missing value.
export function formatBytes(n) {
  if (!Number.isFinite(n) || n < 0)
    return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

// Messages a second: "0", "< 0.1", "2.5", "140", "12.3 k"; "—" for a
// missing value.
export function formatRate(r) {
  if (!Number.isFinite(r) || r < 0)
    return '—';
  if (r === 0)
    return '0';
  if (r < 0.1)
    return '< 0.1';
  if (r < 10)
    return r.toFixed(1);
  if (r < 10_000)
    return String(Math.round(r));
  return `${(r / 1000).toFixed(1)} k`;
}

// Local wall-clock time "HH:MM:SS" of a ms timestamp.
export function formatClock(ms) {
  if (!Number.isFinite(ms))
    return '';
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:` +
    `${pad2(d.getSeconds())}`;
}

// A ms timestamp in local time: "HH:MM:SS" on the day of `now`, else
// "YYYY-MM-DD HH:MM:SS"; "—" for a missing value.
export function formatTime(ms, now = Date.now()) {
  if (!Number.isFinite(ms) || ms <= 0)
    return '—';
  const d = new Date(ms);
  const today = new Date(now);
  const clock = formatClock(ms);
  if (d.getFullYear() === today.getFullYear() &&
      d.getMonth() === today.getMonth() && d.getDate() === today.getDate())
    return clock;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-` +
    `${pad2(d.getDate())} ${clock}`;
}

// A short time span: "250 ms", "1.5 s", then as formatDuration.
export function formatElapsed(ms) {
  if (!Number.isFinite(ms) || ms < 0)
    return '—';
  if (ms < 1000)
    return `${Math.round(ms)} ms`;
  if (ms < 10_000)
    return `${(ms / 1000).toFixed(1)} s`;
  return formatDuration(ms);
}

// A one-line rendering of any value, cut to `max` characters.
export function summarize(value, max = 120) {
  let text;
  if (value === undefined || value === null)
    return '';
  if (typeof value === 'string')
    text = value;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  text = text.replace(/\s+/g, ' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function pad2(n) {
  return String(n).padStart(2, '0');
}
