namespace Agentic.Rl.Reporting;

/// <summary>Everything a <see cref="TrainingReport"/> shows.</summary>
public sealed record TrainingReportData
{
    /// <summary>Report title.</summary>
    public required string Title { get; init; }

    /// <summary>The command line that produced the run.</summary>
    public string Command { get; init; } = "";

    /// <summary>Configuration of the run (name to value).</summary>
    public IReadOnlyDictionary<string, string> Config { get; init; } = new Dictionary<string, string>();

    /// <summary>Per-suite SFT vs RL results.</summary>
    public IReadOnlyList<SuiteResult> Suites { get; init; } = [];

    /// <summary>Headline figures (for example <c>seconds</c>, <c>samples</c>, <c>gate_firings</c>).</summary>
    public IReadOnlyDictionary<string, double> Figures { get; init; } = new Dictionary<string, double>();

    /// <summary>Path of the training plot relative to the report (embedded as an image); <see langword="null"/> for none.</summary>
    public string? PlotFile { get; init; }

    /// <summary>Free-form notes, one bullet each.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}
