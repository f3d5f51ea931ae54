using System.Diagnostics.Metrics;
using System.Text.Json;
using Agentic.Rl.Reporting;

namespace Agentic.Rl.Tests.Reporting;

public class TrainingRunLogTests
{
    internal static RlStepMetrics Step(int step, string phase = "rl") => new()
    {
        Step = step,
        Phase = phase,
        Seconds = step * 0.5,
        Samples = (step + 1) * 8,
        Loss = 1.0 / (step + 1),
        RewardMean = 0.1 * step,
        SuccessClean = step % 3 == 0 ? null : 0.5,
        SuccessNoisy = 0.25,
        NoisyFraction = 0.5,
        NoiseLevel = "low",
        LmHeadGradNorm = 2.0 + step,
        GateFired = step % 4 == 3,
        GateZScore = step == 0 ? null : 1.5,
        ReuseIndex = step % 2,
        Kl = 0.01,
        Entropy = 1.2,
        ClipFraction = null,
        Extra = new Dictionary<string, double> { ["format"] = 0.9, ["tool_ok"] = 0.7 },
    };

    [Fact]
    public void Jsonl_round_trips_records()
    {
        using var dir = new TempDirectory();
        var written = Enumerable.Range(0, 5).Select(i => Step(i)).ToList();
        string path;
        using (var log = new TrainingRunLog(dir.Path, new TrainingRunLogOptions { Tensorboard = false }))
        {
            foreach (var m in written)
            {
                log.Record(m);
            }
            path = log.MetricsPath;
            // Flushed per record: readable while the log is still open.
            Assert.Equal(5, TrainingRunLog.ReadJsonl(path).Count);
        }

        var read = TrainingRunLog.ReadJsonl(path);
        Assert.Equal(written.Count, read.Count);
        for (var i = 0; i < written.Count; i++)
        {
            Assert.Equal(written[i] with { Extra = null }, read[i] with { Extra = null });
            Assert.Equal(written[i].Extra!.OrderBy(p => p.Key), read[i].Extra!.OrderBy(p => p.Key));
        }
        var first = File.ReadLines(path).First();
        using var doc = JsonDocument.Parse(first);
        Assert.True(doc.RootElement.TryGetProperty("lm_head_grad_norm", out _));
        Assert.True(doc.RootElement.TryGetProperty("success_clean", out _));
        Assert.True(doc.RootElement.TryGetProperty("gate_z_score", out _));
    }

    [Fact]
    public void Jsonl_keeps_nan_loss()
    {
        using var dir = new TempDirectory();
        using (var log = new TrainingRunLog(dir.Path, new TrainingRunLogOptions { Tensorboard = false }))
        {
            log.Record(Step(0) with { Loss = double.NaN });
        }
        Assert.True(double.IsNaN(TrainingRunLog.ReadJsonl(Path.Combine(dir.Path, "metrics.jsonl"))[0].Loss));
    }

    [Fact]
    public void Partial_trailing_line_is_skipped_and_append_cuts_it()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "metrics.jsonl");
        using (var log = new TrainingRunLog(dir.Path, new TrainingRunLogOptions { Tensorboard = false }))
        {
            log.Record(Step(0));
            log.Record(Step(1));
        }
        File.AppendAllText(path, "{\"step\":2,\"phase\":\"rl\",\"seco");

        Assert.Equal([0, 1], TrainingRunLog.ReadJsonl(path).Select(m => m.Step));

        using (var log = new TrainingRunLog(dir.Path, new TrainingRunLogOptions { Tensorboard = false, Append = true }))
        {
            log.Record(Step(2));
        }
        Assert.Equal([0, 1, 2], TrainingRunLog.ReadJsonl(path).Select(m => m.Step));
    }

    [Fact]
    public void Malformed_middle_line_throws()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "metrics.jsonl");
        File.WriteAllText(path, "{\"step\":0,\"phase\":\"rl\"}\nnot json\n{\"step\":1,\"phase\":\"rl\"}\n");
        Assert.Throws<InvalidDataException>(() => TrainingRunLog.ReadJsonl(path));
    }

    [Fact]
    public void Meter_publishes_measurements()
    {
        using var dir = new TempDirectory();
        using var log = new TrainingRunLog(dir.Path, new TrainingRunLogOptions { Tensorboard = false });
        Assert.Equal("Agentic.Rl", log.Meter.Name);

        var doubles = new List<(string Name, double Value)>();
        var longs = new List<(string Name, long Value, bool? Fired)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, log.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => doubles.Add((instrument.Name, value)));
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            bool? fired = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "fired")
                {
                    fired = (bool)tag.Value!;
                }
            }
            longs.Add((instrument.Name, value, fired));
        });
        listener.Start();

        for (var i = 0; i < 4; i++)
        {
            log.Record(Step(i));
        }

        Assert.Equal([0.0, 0.1, 0.2, 0.30000000000000004], doubles.Where(d => d.Name == "agentic.rl.reward").Select(d => d.Value));
        Assert.Equal(4, doubles.Count(d => d.Name == "agentic.rl.loss"));
        Assert.Equal([2.0, 3, 4, 5], doubles.Where(d => d.Name == "agentic.rl.lm_head.grad_norm").Select(d => d.Value));
        var gate = longs.Where(l => l.Name == "agentic.rl.gate.decisions").ToList();
        Assert.Equal(4, gate.Sum(g => g.Value));
        Assert.Equal(1, gate.Count(g => g.Fired == true));
        Assert.Equal(32, longs.Where(l => l.Name == "agentic.rl.samples").Sum(l => l.Value));
    }

    [Fact]
    public void Tensorboard_folder_gets_an_events_file()
    {
        using var dir = new TempDirectory();
        using (var log = new TrainingRunLog(dir.Path))
        {
            log.Record(Step(0));
            log.Record(Step(1));
            Assert.Equal(Path.Combine(dir.Path, "tensorboard"), log.TensorboardDirectory);
        }
        var events = Directory.GetFiles(Path.Combine(dir.Path, "tensorboard"), "events.out.tfevents.*", SearchOption.AllDirectories);
        var file = Assert.Single(events);
        Assert.True(new FileInfo(file).Length > 200, "scalars were written");
    }
}
