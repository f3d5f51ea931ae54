using System.Text.Json;
using Agentic.Rl.Reporting;
using FsCheck.Xunit;

namespace Agentic.Rl.Tests.Reporting;

[Properties(Replay = "(4176311736884103,4122317637)")]
public class TrainingReportTests
{
    private static TrainingReportData Data() => new()
    {
        Title = "Shop RL run",
        Command = "agentic rl --suite shop --steps 200",
        Config = new Dictionary<string, string> { ["steps"] = "200", ["noise"] = "low|high" },
        Suites =
        [
            new SuiteResult("shop", 0.50, 0.25, 0.75, 0.5, 64).WithWilsonIntervals()
                .WithPairedDeltaIntervals(Outcomes(32, 64), Outcomes(48, 64), Outcomes(16, 64), Outcomes(32, 64)),
            new SuiteResult("textworld", 0.40, 0.30, 0.35, 0.45, 32),
        ],
        Figures = new Dictionary<string, double> { ["seconds"] = 123.5, ["samples"] = 4096, ["gate_firings"] = 7 },
        PlotFile = "training.png",
        Notes = ["first note", "second note"],
    };

    /// <summary>The first <paramref name="successes"/> of <paramref name="count"/> tasks succeed (so two lists agree on their common prefix).</summary>
    private static bool[] Outcomes(int successes, int count) => [.. Enumerable.Range(0, count).Select(i => i < successes)];

    [Fact]
    public void Json_has_the_exact_suites_shape()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "report.json");
        TrainingReport.WriteJson(path, Data());

        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var suites = doc.RootElement.GetProperty("suites");
        Assert.Equal(["shop", "textworld"], suites.EnumerateObject().Select(p => p.Name));
        foreach (var suite in suites.EnumerateObject())
        {
            Assert.Equal(["sft", "rl"], suite.Value.EnumerateObject().Select(p => p.Name));
            foreach (var policy in suite.Value.EnumerateObject())
            {
                Assert.Equal(["clean", "noisy"], policy.Value.EnumerateObject().Select(p => p.Name));
            }
        }
        Assert.Equal(0.75, suites.GetProperty("shop").GetProperty("rl").GetProperty("clean").GetDouble());
        Assert.Equal(0.25, suites.GetProperty("shop").GetProperty("sft").GetProperty("noisy").GetDouble());
        Assert.Equal(0.45, suites.GetProperty("textworld").GetProperty("rl").GetProperty("noisy").GetDouble());
        Assert.Equal(4096, doc.RootElement.GetProperty("figures").GetProperty("samples").GetDouble());
        Assert.Equal("low|high", doc.RootElement.GetProperty("config").GetProperty("noise").GetString());
        Assert.Equal(64, doc.RootElement.GetProperty("episodes").GetProperty("shop").GetInt32());
        // Paired intervals of the differences, where known, beside "suites".
        var delta = doc.RootElement.GetProperty("delta_ci");
        Assert.Equal(["shop"], delta.EnumerateObject().Select(p => p.Name));
        var clean = delta.GetProperty("shop").GetProperty("clean").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        Assert.Equal(2, clean.Length);
        Assert.InRange(0.25, clean[0], clean[1]);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void Json_overwrites_an_existing_report()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "report.json");
        File.WriteAllText(path, "old");
        TrainingReport.WriteJson(path, Data() with { Figures = new Dictionary<string, double> { ["loss"] = double.NaN } });
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("figures").GetProperty("loss").ValueKind);
    }

    [Fact]
    public void Markdown_contains_the_suites_table()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "report.md");
        TrainingReport.WriteMarkdown(path, Data());
        var md = File.ReadAllText(path);

        Assert.StartsWith("# Shop RL run\n", md);
        Assert.Contains("agentic rl --suite shop --steps 200", md);
        Assert.Contains("| suite | episodes | SFT clean | RL clean | Δ clean | SFT noisy | RL noisy | Δ noisy |", md);
        Assert.Contains("| shop | 64 | 50.0 [", md);
        Assert.Contains("| +25.0 [+", md);
        Assert.Contains("| textworld | 32 | 40.0 | 35.0 | -5.0 | 30.0 | 45.0 | +15.0 |", md);
        Assert.Contains("![training curves](training.png)", md);
        Assert.Contains("| noise | low\\|high |", md);
        Assert.Contains("| gate_firings | 7 |", md);
        Assert.Contains("- second note", md);
    }

    [Fact]
    public void Wilson_interval_is_sensible()
    {
        var ci = ConfidenceInterval.Wilson(0.5, 100);
        Assert.InRange(ci.Lower, 0.40, 0.41);
        Assert.InRange(ci.Upper, 0.59, 0.60);
        var zero = ConfidenceInterval.Wilson(0, 10);
        Assert.Equal(0, zero.Lower);
        Assert.InRange(zero.Upper, 0.27, 0.28);
    }

    [Theory]
    // Newcombe (1998), paired data, method 10: e = both, f = first only, g = second only, h = neither.
    [InlineData(36, 12, 2, 0, 0.0569, 0.3404)]
    [InlineData(18, 12, 2, 18, 0.0562, 0.3290)]
    public void Paired_difference_reproduces_Newcombes_examples(int both, int onlyAfter, int onlyBefore, int neither, double lower, double upper)
    {
        var ci = ConfidenceInterval.PairedDifference(both, onlyAfter, onlyBefore, neither, z: 1.959964);
        Assert.Equal(lower, ci.Lower, 4);
        Assert.Equal(upper, ci.Upper, 4);
    }

    [Property(MaxTest = 300)]
    public bool Paired_difference_holds_the_estimate_is_antisymmetric_and_no_wider_than_unpaired_when_outcomes_agree(
        byte both, byte onlyAfter, byte onlyBefore, byte neither)
    {
        int n = both + onlyAfter + onlyBefore + neither;
        if (n == 0) return ConfidenceInterval.PairedDifference(0, 0, 0, 0) == new ConfidenceInterval(-1, 1);
        double estimate = (onlyAfter - onlyBefore) / (double)n;
        var ci = ConfidenceInterval.PairedDifference(both, onlyAfter, onlyBefore, neither);
        var mirrored = ConfidenceInterval.PairedDifference(both, onlyBefore, onlyAfter, neither);
        bool holds = ci.Lower <= estimate + 1e-12 && estimate <= ci.Upper + 1e-12 && ci.Lower >= -1 && ci.Upper <= 1;
        bool antisymmetric = Math.Abs(ci.Lower + mirrored.Upper) < 1e-12 && Math.Abs(ci.Upper + mirrored.Lower) < 1e-12;
        // Positively correlated outcomes (the usual case for two checkpoints of one policy) narrow the interval
        // relative to treating the two measurements as independent (phi = 0 in the same formula).
        double after = (both + onlyAfter) / (double)n, before = (both + onlyBefore) / (double)n;
        var a = ConfidenceInterval.Wilson(after, n);
        var b = ConfidenceInterval.Wilson(before, n);
        double unpairedWidth = Math.Sqrt(Math.Pow(after - a.Lower, 2) + Math.Pow(b.Upper - before, 2)) + Math.Sqrt(Math.Pow(before - b.Lower, 2) + Math.Pow(a.Upper - after, 2));
        bool agree = (double)both * neither - (double)onlyAfter * onlyBefore > n / 2.0;
        bool narrower = !agree || ci.Upper - ci.Lower <= unpairedWidth + 1e-12;
        return holds && antisymmetric && narrower;
    }

    [Fact]
    public void Paired_difference_from_outcomes_counts_the_four_cells()
    {
        bool[] before = [true, true, false, false, true, false];
        bool[] after = [true, false, true, true, true, false];
        Assert.Equal(ConfidenceInterval.PairedDifference(2, 2, 1, 1), ConfidenceInterval.PairedDifference(before, after));
        Assert.Throws<ArgumentException>(() => ConfidenceInterval.PairedDifference(before, after[..5]));
    }
}
