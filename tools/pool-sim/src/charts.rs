//! SVG charts of a report: reward per action and level, the balance against the thresholds, the
//! Monte Carlo P10–P90 band, and the ±50 % tornado.
//!
//! Drawn with plotters' SVG backend; text is laid out by plotters' built-in size estimate (no font
//! files). Amounts arrive in base units and are divided by `unit` (base units per TOK), except the
//! band, which is already in TOK.

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::full_palette::{BLUE_800, GREEN_800, GREY_700, ORANGE_800, RED_700};

use pool_sim::engine::{DayPoint, Event, EventKind};
use pool_sim::report::{BandPoint, Percentiles, Report};
use pool_sim::sweep::Tornado;

/// Size of a single chart, pixels.
const SIZE: (u32, u32) = (1000, 600);
/// Size of the two-panel band chart, pixels.
const BAND_SIZE: (u32, u32) = (1000, 800);
/// A downward triangle around a marker's centre, pixel offsets.
const DOWN: [(i32, i32); 3] = [(-6, -5), (6, -5), (0, 6)];
/// Thousands suffixes of [`compact`].
const SCALES: [(f64, &str); 4] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")];

/// A whole SVG canvas or one panel of it.
type Area<'p> = DrawingArea<SVGBackend<'p>, Shift>;
/// Points of one polyline, (x, y).
type Line = Vec<(f64, f64)>;

/// Plotters' drawing errors as `anyhow` errors (their `Send`/`Sync` bounds vary by version).
fn plot_err<E: std::fmt::Debug>(err: E) -> anyhow::Error {
    anyhow::anyhow!("drawing failed: {err:?}")
}

/// Base units to TOK.
#[allow(clippy::cast_precision_loss)] // a chart needs no more than f64's 53 bits
fn tok(base_units: u128, unit: f64) -> f64 {
    base_units as f64 / unit
}

/// `unit` if usable as a divisor, else 1.
fn sane_unit(unit: f64) -> f64 {
    if unit.is_finite() && unit > 0.0 {
        unit
    } else {
        1.0
    }
}

/// An index as a coordinate.
fn index_f64(index: usize) -> f64 {
    u32::try_from(index).map_or(f64::from(u32::MAX), f64::from)
}

/// Top of a linear axis from 0 showing `max` (0..1 when there is nothing to show).
fn headroom(max: f64) -> f64 {
    if max.is_finite() && max > 0.0 {
        max * 1.05
    } else {
        1.0
    }
}

/// Day axis from 0 to the last day (at least 1).
fn day_range(days: impl Iterator<Item = f64>) -> Range<f64> {
    let end = days.filter(|d| d.is_finite()).fold(0.0, f64::max);
    0.0..if end > 0.0 { end } else { 1.0 }
}

/// `lo..hi` padded by 5 % each side; a single value is widened by 10 % of it (or ±1 at 0).
fn padded(lo: f64, hi: f64) -> Range<f64> {
    if !(lo.is_finite() && hi.is_finite()) {
        return 0.0..1.0;
    }
    let pad = if hi > lo {
        (hi - lo) * 0.05
    } else if lo.abs() > 0.0 {
        lo.abs() * 0.1
    } else {
        1.0
    };
    lo - pad..hi + pad
}

/// Drops a number's trailing decimal zeros ("2.50" → "2.5", "3.00" → "3").
fn trim(text: &str) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text.to_owned()
    }
}

/// An axis number in short form: 1.2e9 → "1.2 B", 3.4e6 → "3.4 M", 5e3 → "5 k".
fn compact(value: f64) -> String {
    if !value.is_finite() {
        return String::new();
    }
    let magnitude = value.abs();
    match SCALES.iter().find(|(scale, _)| magnitude >= *scale) {
        Some((scale, suffix)) => format!("{} {suffix}", trim(&format!("{:.2}", value / scale))),
        None if magnitude >= 1.0 => trim(&format!("{value:.2}")),
        None if magnitude < 1e-12 => "0".to_owned(),
        None if magnitude >= 1e-4 => trim(&format!("{value:.4}")),
        None => format!("{value:.1e}"),
    }
}

/// A day on the axis: "250", "12.5".
fn day_label(day: f64) -> String {
    trim(&format!("{day:.1}"))
}

/// Whole numbers only (the level axis): "3", and nothing between levels.
fn whole_label(value: f64) -> String {
    if (value - value.round()).abs() < 1e-6 {
        format!("{:.0}", value.round().abs())
    } else {
        String::new()
    }
}

/// A step line through end-of-day `points`. Runs of equal values become one segment.
fn steps(points: &[(f64, f64)]) -> Line {
    // A point is the state at the end of day x; it took effect at the end of the day before (the
    // step's block time), so each value is drawn over (x − 1, x] and a change at x − 1.
    let mut out = Line::with_capacity(points.len());
    let mut previous: Option<(f64, f64)> = None;
    for &(x, y) in points {
        match previous {
            None => out.push((x - 1.0, y)),
            Some((px, py)) if py.to_bits() != y.to_bits() => {
                out.push((px, py));
                out.push((px, y));
            }
            Some(_) => {}
        }
        previous = Some((x, y));
    }
    if let Some(last) = previous {
        out.push(last);
    }
    out
}

/// The contiguous runs of days where `threshold` is `Some`, each as a step line in TOK.
fn threshold_runs(
    days: &[DayPoint],
    unit: f64,
    threshold: impl Fn(&DayPoint) -> Option<u128>,
) -> Vec<Line> {
    let mut runs = Vec::new();
    let mut run = Line::new();
    for point in days {
        // u128::MAX is the engine's "overflowed" value, not a threshold to draw.
        match threshold(point).filter(|&value| value < u128::MAX) {
            Some(value) => run.push((f64::from(point.day), tok(value, unit))),
            None if !run.is_empty() => runs.push(steps(&std::mem::take(&mut run))),
            None => {}
        }
    }
    if !run.is_empty() {
        runs.push(steps(&run));
    }
    runs
}

/// A legend sample for a line style.
fn line_sample(style: ShapeStyle) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x.saturating_add(20), y)], style)
}

/// A legend sample for a filled style.
fn box_sample(style: ShapeStyle) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| {
        Rectangle::new(
            [
                (x, y.saturating_sub(5)),
                (x.saturating_add(20), y.saturating_add(5)),
            ],
            style,
        )
    }
}

/// Halvings as red downward triangles, reversals as green upward ones, at (day, `value`).
fn draw_events<'a, 'p: 'a, CT>(
    chart: &mut ChartContext<'a, SVGBackend<'p>, CT>,
    events: &[Event],
    value: impl Fn(&Event) -> f64,
) -> Result<()>
where
    CT: CoordTranslate<From = (f64, f64)>,
{
    let (halvings, reversals): (Vec<&Event>, Vec<&Event>) = events
        .iter()
        .partition(|event| event.kind == EventKind::Halving);
    chart
        .draw_series(halvings.iter().map(|&event| {
            EmptyElement::at((event.day(), value(event)))
                + Polygon::new(DOWN.to_vec(), RED_700.filled())
        }))
        .map_err(plot_err)?
        .label("halving")
        .legend(|(x, y)| {
            let corners: Vec<(i32, i32)> = DOWN
                .iter()
                .map(|&(dx, dy)| {
                    (
                        x.saturating_add(10).saturating_add(dx),
                        y.saturating_add(dy),
                    )
                })
                .collect();
            Polygon::new(corners, RED_700.filled())
        });
    chart
        .draw_series(
            reversals.iter().map(|&event| {
                TriangleMarker::new((event.day(), value(event)), 6, GREEN_800.filled())
            }),
        )
        .map_err(plot_err)?
        .label("reversal")
        .legend(|(x, y)| TriangleMarker::new((x.saturating_add(10), y), 6, GREEN_800.filled()));
    Ok(())
}

/// Draws the legend of every labelled series.
fn draw_legend<'a, 'p: 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'p>, CT>,
    position: SeriesLabelPosition,
) -> Result<()> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font((FontFamily::SansSerif, 14))
        .draw()
        .map_err(plot_err)
}

/// What the levels chart draws, whatever its reward axis.
struct LevelSeries<'e> {
    title: &'e str,
    days: Range<f64>,
    reward: Line,
    level: Line,
    level_top: f64,
    events: &'e [Event],
    /// Lowest reward drawn: the bottom of a log axis (zero rewards sit on it), else 0.
    floor: f64,
    unit: f64,
}

/// Reward per action (TOK, log scale when it spans more than a factor 16) and the level (right
/// axis) as steps over days, with halvings and reversals marked.
///
/// # Errors
/// When the SVG file cannot be drawn or written.
pub fn levels_chart(
    path: &Path,
    title: &str,
    days: &[DayPoint],
    events: &[Event],
    unit: f64,
) -> Result<()> {
    let unit = sane_unit(unit);
    let reward: Line = days
        .iter()
        .map(|p| (f64::from(p.day), tok(p.reward, unit)))
        .collect();
    let all_rewards: Vec<f64> = reward
        .iter()
        .map(|&(_, y)| y)
        .chain(events.iter().map(|e| tok(e.reward, unit)))
        .filter(|y| y.is_finite())
        .collect();
    let smallest = all_rewards
        .iter()
        .copied()
        .filter(|&y| y > 0.0)
        .fold(f64::INFINITY, f64::min);
    let largest = all_rewards.iter().copied().fold(0.0, f64::max);
    let top_level = days
        .iter()
        .map(|p| p.level)
        .chain(events.iter().map(|e| e.from_level.max(e.to_level)))
        .max()
        .unwrap_or(0);
    let mut series = LevelSeries {
        title,
        days: day_range(
            days.iter()
                .map(|p| f64::from(p.day))
                .chain(events.iter().map(Event::day)),
        ),
        level: days
            .iter()
            .map(|p| (f64::from(p.day), f64::from(p.level)))
            .collect(),
        reward,
        level_top: f64::from(top_level) + 1.0,
        events,
        floor: 0.0,
        unit,
    };
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    if smallest.is_finite() && largest > smallest * 16.0 {
        series.floor = smallest / 2.0;
        let floor = series.floor;
        for point in &mut series.reward {
            point.1 = point.1.max(floor);
        }
        draw_levels(&root, &series, (floor..largest * 1.5).log_scale())?;
    } else {
        draw_levels(&root, &series, 0.0..headroom(largest))?;
    }
    root.present().map_err(plot_err)
}

/// The levels chart on reward axis `reward_axis` (linear or logarithmic).
fn draw_levels<Y>(root: &Area<'_>, series: &LevelSeries<'_>, reward_axis: Y) -> Result<()>
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(root)
        .caption(series.title, (FontFamily::SansSerif, 22))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(75)
        .right_y_label_area_size(55)
        .build_cartesian_2d(series.days.clone(), reward_axis)
        .map_err(plot_err)?
        .set_secondary_coord(series.days.clone(), 0.0..series.level_top);
    chart
        .configure_mesh()
        .x_desc("day")
        .y_desc("TOK per action")
        .x_label_formatter(&|value: &f64| day_label(*value))
        .y_label_formatter(&|value: &f64| compact(*value))
        .draw()
        .map_err(plot_err)?;
    chart
        .configure_secondary_axes()
        .y_desc("level")
        .y_label_formatter(&|value: &f64| whole_label(*value))
        .draw()
        .map_err(plot_err)?;
    let reward_style = BLUE_800.stroke_width(2);
    chart
        .draw_series(LineSeries::new(steps(&series.reward), reward_style))
        .map_err(plot_err)?
        .label("reward per action")
        .legend(line_sample(reward_style));
    let level_style = ORANGE_800.stroke_width(1);
    chart
        .draw_secondary_series(LineSeries::new(steps(&series.level), level_style))
        .map_err(plot_err)?
        .label("level")
        .legend(line_sample(level_style));
    let (unit, floor) = (series.unit, series.floor);
    draw_events(&mut chart, series.events, |e| {
        tok(e.reward, unit).max(floor)
    })?;
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// Available balance (TOK) over days with the halving threshold T(n+1) and the reversal threshold
/// T(n)·(1+m) in force as dashed steps (broken where there is none), halvings and reversals marked.
///
/// # Errors
/// When the SVG file cannot be drawn or written.
pub fn balance_chart(
    path: &Path,
    title: &str,
    days: &[DayPoint],
    events: &[Event],
    unit: f64,
) -> Result<()> {
    let unit = sane_unit(unit);
    let available: Line = days
        .iter()
        .map(|p| (f64::from(p.day), tok(p.available, unit)))
        .collect();
    let halving = threshold_runs(days, unit, |p| p.next_threshold);
    let reversal = threshold_runs(days, unit, |p| p.reversal_threshold);
    let largest = available
        .iter()
        .chain(halving.iter().flatten())
        .chain(reversal.iter().flatten())
        .map(|&(_, y)| y)
        .chain(events.iter().map(|e| tok(e.balance, unit)))
        .fold(0.0, f64::max);
    let days_axis = day_range(
        days.iter()
            .map(|p| f64::from(p.day))
            .chain(events.iter().map(Event::day)),
    );

    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FontFamily::SansSerif, 22))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(75)
        .build_cartesian_2d(days_axis, 0.0..headroom(largest))
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_desc("day")
        .y_desc("TOK")
        .x_label_formatter(&|value: &f64| day_label(*value))
        .y_label_formatter(&|value: &f64| compact(*value))
        .draw()
        .map_err(plot_err)?;
    let style = BLUE_800.stroke_width(2);
    chart
        .draw_series(LineSeries::new(available, style))
        .map_err(plot_err)?
        .label("available balance")
        .legend(line_sample(style));
    for (runs, colour, label) in [
        (&halving, RED_700, "halving below T(n+1)"),
        (&reversal, GREEN_800, "reversal at T(n)·(1+m)"),
    ] {
        let style = colour.stroke_width(1);
        for (index, run) in runs.iter().enumerate() {
            let anno = chart
                .draw_series(DashedLineSeries::new(run.iter().copied(), 8, 5, style))
                .map_err(plot_err)?;
            if index == 0 {
                anno.label(label).legend(line_sample(style));
            }
        }
    }
    draw_events(&mut chart, events, |e| tok(e.balance, unit))?;
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    root.present().map_err(plot_err)
}

/// One panel of the band chart, in TOK.
struct BandPanel<'s> {
    caption: String,
    y_desc: &'s str,
    band: Vec<(f64, Percentiles)>,
    projection: Line,
}

/// Monte Carlo P10–P90 band, P50 and the projection: reward per action (top) and available
/// balance (bottom). `band` is in TOK already; `projection` in base units.
///
/// # Errors
/// When the SVG file cannot be drawn or written.
pub fn band_chart(
    path: &Path,
    title: &str,
    band: &[BandPoint],
    projection: &[DayPoint],
    unit: f64,
) -> Result<()> {
    let unit = sane_unit(unit);
    let days = day_range(
        band.iter()
            .map(|b| f64::from(b.day))
            .chain(projection.iter().map(|p| f64::from(p.day))),
    );
    let panels = [
        BandPanel {
            caption: format!("{title}: reward per action"),
            y_desc: "TOK per action",
            band: band.iter().map(|b| (f64::from(b.day), b.reward)).collect(),
            projection: projection
                .iter()
                .map(|p| (f64::from(p.day), tok(p.reward, unit)))
                .collect(),
        },
        BandPanel {
            caption: "available balance".to_owned(),
            y_desc: "TOK",
            band: band
                .iter()
                .map(|b| (f64::from(b.day), b.available))
                .collect(),
            projection: projection
                .iter()
                .map(|p| (f64::from(p.day), tok(p.available, unit)))
                .collect(),
        },
    ];
    let root = SVGBackend::new(path, BAND_SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    for (area, panel) in root.split_evenly((2, 1)).iter().zip(&panels) {
        draw_band_panel(area, &days, panel)?;
    }
    root.present().map_err(plot_err)
}

/// One band panel: the P10–P90 area, the P50 line and the projection dashed.
fn draw_band_panel(area: &Area<'_>, days: &Range<f64>, panel: &BandPanel<'_>) -> Result<()> {
    let largest = panel
        .band
        .iter()
        .map(|(_, p)| p.p90.max(p.p50))
        .chain(panel.projection.iter().map(|&(_, y)| y))
        .filter(|y| y.is_finite())
        .fold(0.0, f64::max);
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.caption, (FontFamily::SansSerif, 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(75)
        .build_cartesian_2d(days.clone(), 0.0..headroom(largest))
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_desc("day")
        .y_desc(panel.y_desc)
        .x_label_formatter(&|value: &f64| day_label(*value))
        .y_label_formatter(&|value: &f64| compact(*value))
        .draw()
        .map_err(plot_err)?;
    // P90 forward, then P10 back: the outline of the band.
    let outline: Line = panel
        .band
        .iter()
        .map(|&(x, p)| (x, p.p90))
        .chain(panel.band.iter().rev().map(|&(x, p)| (x, p.p10)))
        .collect();
    let fill = BLUE.mix(0.2);
    chart
        .draw_series((!outline.is_empty()).then(|| Polygon::new(outline, fill)))
        .map_err(plot_err)?
        .label("P10–P90")
        .legend(box_sample(fill.filled()));
    let median = BLUE_800.stroke_width(2);
    chart
        .draw_series(LineSeries::new(
            panel.band.iter().map(|&(x, p)| (x, p.p50)),
            median,
        ))
        .map_err(plot_err)?
        .label("P50")
        .legend(line_sample(median));
    let projected = GREY_700.stroke_width(1);
    chart
        .draw_series(DashedLineSeries::new(
            panel.projection.iter().copied(),
            6,
            4,
            projected,
        ))
        .map_err(plot_err)?
        .label("projection")
        .legend(line_sample(projected));
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// A horizontal tornado: one row per `(label, kpi at −50 %, kpi at +50 %)`, first at the top,
/// each bar drawn from `base` to the value; a vertical line at `base`.
///
/// # Errors
/// When the SVG file cannot be drawn or written.
pub fn tornado_chart(
    path: &Path,
    title: &str,
    kpi_label: &str,
    base: f64,
    bars: &[(String, f64, f64)],
) -> Result<()> {
    let (lo, hi) = bars
        .iter()
        .flat_map(|&(_, low, high)| [low, high])
        .chain(std::iter::once(base))
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let rows = index_f64(bars.len());
    // Row i is centred at n − i − 0.5: the first bar on top.
    let centres: Vec<(f64, &str)> = bars
        .iter()
        .enumerate()
        .map(|(index, (name, _, _))| (rows - index_f64(index) - 0.5, name.as_str()))
        .collect();
    let row_label = |value: &f64| {
        centres
            .iter()
            .find(|(centre, _)| (centre - value).abs() < 0.01)
            .map_or_else(String::new, |(_, name)| (*name).to_owned())
    };

    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err)?;
    let top = rows.max(1.0);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FontFamily::SansSerif, 22))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(280)
        .build_cartesian_2d(padded(lo, hi), 0.0..top)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(bars.len().saturating_mul(2).saturating_add(1))
        .y_label_formatter(&row_label)
        .x_label_formatter(&|value: &f64| compact(*value))
        .x_desc(format!("{kpi_label} (base {})", compact(base)))
        .draw()
        .map_err(plot_err)?;
    let half = 0.35;
    for (pick, colour, label) in [(false, BLUE_800, "−50 %"), (true, ORANGE_800, "+50 %")] {
        let style = colour.mix(0.85).filled();
        chart
            .draw_series(
                centres
                    .iter()
                    .zip(bars)
                    .map(|(&(centre, _), &(_, low, high))| (centre, if pick { high } else { low }))
                    .filter(|(_, value)| value.is_finite())
                    .map(|(centre, value)| {
                        Rectangle::new([(base, centre - half), (value, centre + half)], style)
                    }),
            )
            .map_err(plot_err)?
            .label(label)
            .legend(box_sample(style));
    }
    if base.is_finite() {
        chart
            .draw_series(LineSeries::new(
                [(base, 0.0), (base, top)],
                BLACK.stroke_width(2),
            ))
            .map_err(plot_err)?;
    }
    draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    root.present().map_err(plot_err)
}

/// Writes `levels.svg`, `balance.svg`, `band.svg` and (with a tornado) `tornado.svg` into `dir`, creating
/// it if needed; returns the paths written.
///
/// # Errors
/// When `dir` cannot be created or a chart cannot be drawn or written.
pub fn write_all(
    dir: &Path,
    report: &Report,
    tornado: Option<&Tornado>,
    unit: f64,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = &report.scenario.name;
    let projection = &report.projection;
    let writing = |path: &Path| format!("writing {}", path.display());
    let mut written = Vec::new();

    let levels = dir.join("levels.svg");
    let title = format!("{name}: reward per action and level (projection)");
    levels_chart(&levels, &title, &projection.days, &projection.events, unit)
        .with_context(|| writing(&levels))?;
    written.push(levels);

    let balance = dir.join("balance.svg");
    let title = format!("{name}: available balance and thresholds (projection)");
    balance_chart(&balance, &title, &projection.days, &projection.events, unit)
        .with_context(|| writing(&balance))?;
    written.push(balance);

    let band = dir.join("band.svg");
    let title = format!("{name}: P10–P90 over {} runs", report.runs);
    band_chart(&band, &title, &report.band, &projection.days, unit)
        .with_context(|| writing(&band))?;
    written.push(band);

    if let Some(tornado) = tornado {
        let bars: Vec<(String, f64, f64)> = tornado
            .bars
            .iter()
            .map(|bar| {
                let label = format!("{} ({} / {})", bar.parameter, bar.low_label, bar.high_label);
                (label, bar.low, bar.high)
            })
            .collect();
        let path = dir.join("tornado.svg");
        let title = format!("{name}: ±50 % tornado of {}", tornado.kpi);
        tornado_chart(&path, &title, &tornado.kpi, tornado.base, &bars)
            .with_context(|| writing(&path))?;
        written.push(path);
    }
    Ok(written)
}
