using System.Text.Json;
using Agentic.Rl.Reporting;

namespace Agentic.Rl.Tests.Reporting;

public class TrainingReportTests
{
    private static TrainingReportData Data() => new()
    {
        Title = "Shop RL run",
        Command = "agentic rl --suite shop --steps 200",
        Config = new Dictionary<string, string> { ["steps"] = "200", ["noise"] = "low|high" },
        Suites =
        [
            new SuiteResult("shop", 0.50, 0.25, 0.75, 0.5, 64).WithWilsonIntervals(),
            new SuiteResult("textworld", 0.40, 0.30, 0.35, 0.45, 32),
        ],
        Figures = new Dictionary<string, double> { ["seconds"] = 123.5, ["samples"] = 4096, ["gate_firings"] = 7 },
        PlotFile = "training.png",
        Notes = ["first note", "second note"],
    };

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
        Assert.Contains("| +25.0 |", md);
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
}
