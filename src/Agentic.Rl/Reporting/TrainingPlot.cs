using ScottPlot;
using SkiaSharp;

namespace Agentic.Rl.Reporting;

/// <summary>
/// Draws the training curves of a run into one PNG: a 2 x 2 grid of ScottPlot 5 panels (reward mean; success clean vs
/// noisy; lm_head gradient norm with the steps where the gate fired marked in red; reuse index and cumulative gate
/// firings), each against the record's index in the run (steps restart per phase, so the x axis counts records).
/// </summary>
/// <remarks>
/// Text is drawn with a system font, so the host needs Skia natives that see system fonts
/// (<c>SkiaSharp.NativeAssets.Linux</c> with fontconfig on Linux); with the <c>NoDependencies</c> natives the curves
/// are drawn but labels may be missing.
/// </remarks>
public static class TrainingPlot
{
    /// <summary>Renders <paramref name="steps"/> and writes the PNG (folders created when missing).</summary>
    /// <param name="pngPath">Destination file.</param>
    /// <param name="steps">The run's records in order; may be empty (panels then say "no data").</param>
    /// <param name="width">Image width in pixels (at least 200).</param>
    /// <param name="height">Image height in pixels (at least 200).</param>
    /// <exception cref="ArgumentException"><paramref name="pngPath"/> is null or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="steps"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="width"/> or <paramref name="height"/> is below 200.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Save(string pngPath, IReadOnlyList<RlStepMetrics> steps, int width = 1200, int height = 900)
    {
        ArgumentException.ThrowIfNullOrEmpty(pngPath);
        ArgumentNullException.ThrowIfNull(steps);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 200);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 200);

        var bytes = Render(steps, width, height);
        var directory = Path.GetDirectoryName(Path.GetFullPath(pngPath));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        File.WriteAllBytes(pngPath, bytes);
    }

    internal static byte[] Render(IReadOnlyList<RlStepMetrics> steps, int width, int height)
    {
        Plot[] panels = [RewardPanel(steps), SuccessPanel(steps), GradNormPanel(steps), ReusePanel(steps)];
        var panelWidth = width / 2;
        var panelHeight = height / 2;

        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException("Skia could not create a drawing surface.");
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        for (var i = 0; i < panels.Length; i++)
        {
            var bytes = panels[i].GetImageBytes(panelWidth, panelHeight, ImageFormat.Png);
            using var panel = SKImage.FromEncodedData(bytes);
            canvas.DrawImage(panel, i % 2 * panelWidth, i / 2 * panelHeight, SKSamplingOptions.Default, paint: null);
        }
        canvas.Flush();
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static Plot NewPanel(string title, string yLabel)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel("record (step)");
        plot.YLabel(yLabel);
        return plot;
    }

    private static void NoData(Plot plot) => plot.Add.Annotation("no data", Alignment.MiddleCenter);

    private static void Line(Plot plot, List<double> xs, List<double> ys, string legend, Color color)
    {
        if (xs.Count == 0)
        {
            return;
        }
        var scatter = plot.Add.Scatter(xs.ToArray(), ys.ToArray(), color);
        scatter.LegendText = legend;
        scatter.MarkerSize = xs.Count > 200 ? 0 : 3;
        scatter.LineWidth = 1.5f;
    }

    private static (List<double> Xs, List<double> Ys) Series(IReadOnlyList<RlStepMetrics> steps, Func<RlStepMetrics, double?> select)
    {
        var xs = new List<double>(steps.Count);
        var ys = new List<double>(steps.Count);
        for (var i = 0; i < steps.Count; i++)
        {
            if (select(steps[i]) is { } y && double.IsFinite(y))
            {
                xs.Add(i);
                ys.Add(y);
            }
        }
        return (xs, ys);
    }

    private static Plot RewardPanel(IReadOnlyList<RlStepMetrics> steps)
    {
        var plot = NewPanel("Reward mean per step", "reward");
        var (xs, ys) = Series(steps, s => s.RewardMean);
        if (xs.Count == 0)
        {
            NoData(plot);
        }
        Line(plot, xs, ys, "reward mean", Colors.SteelBlue);
        return plot;
    }

    private static Plot SuccessPanel(IReadOnlyList<RlStepMetrics> steps)
    {
        var plot = NewPanel("Success: clean vs noisy rollouts", "success rate");
        var (cx, cy) = Series(steps, s => s.SuccessClean);
        var (nx, ny) = Series(steps, s => s.SuccessNoisy);
        if (cx.Count == 0 && ny.Count == 0)
        {
            NoData(plot);
        }
        Line(plot, cx, cy, "clean", Colors.SeaGreen);
        Line(plot, nx, ny, "noisy", Colors.DarkOrange);
        plot.Axes.SetLimitsY(-0.05, 1.05);
        if (cx.Count + nx.Count > 0)
        {
            plot.ShowLegend(Alignment.LowerRight);
        }
        return plot;
    }

    private static Plot GradNormPanel(IReadOnlyList<RlStepMetrics> steps)
    {
        var plot = NewPanel("lm_head gradient norm (red: gate fired)", "L2 norm");
        var (xs, ys) = Series(steps, s => s.LmHeadGradNorm);
        if (xs.Count == 0)
        {
            NoData(plot);
        }
        Line(plot, xs, ys, "grad norm", Colors.SlateGray);
        var (fx, fy) = Series(steps, s => s.GateFired ? s.LmHeadGradNorm : null);
        if (fx.Count > 0)
        {
            var markers = plot.Add.Markers(fx.ToArray(), fy.ToArray(), MarkerShape.FilledCircle, 7, Colors.Red);
            markers.LegendText = "gate fired";
            plot.ShowLegend(Alignment.UpperRight);
        }
        return plot;
    }

    private static Plot ReusePanel(IReadOnlyList<RlStepMetrics> steps)
    {
        var plot = NewPanel("Batch reuse and gate decisions", "count");
        var (xs, ys) = Series(steps, s => s.ReuseIndex);
        var fired = 0;
        var (gx, gy) = Series(steps, s => fired += s.GateFired ? 1 : 0);
        if (xs.Count == 0)
        {
            NoData(plot);
            return plot;
        }
        Line(plot, xs, ys, "reuse index", Colors.MediumPurple);
        Line(plot, gx, gy, "gate firings (cumulative)", Colors.Red);
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }
}
