namespace Agentic.Rl.Reporting;

/// <summary>Options of a <see cref="TrainingRunLog"/>.</summary>
public sealed class TrainingRunLogOptions
{
    /// <summary>File name of the JSON-lines metrics file inside the output folder. Default <c>metrics.jsonl</c>.</summary>
    public string MetricsFileName { get; set; } = "metrics.jsonl";

    /// <summary>
    /// Whether an existing metrics file is continued (a resumed run) instead of replaced. A partial last line left by a
    /// killed run is cut off before appending. Default <see langword="false"/>.
    /// </summary>
    public bool Append { get; set; }

    /// <summary>Whether TensorBoard event files are written. Default <see langword="true"/>.</summary>
    public bool Tensorboard { get; set; } = true;

    /// <summary>Folder of the TensorBoard event files inside the output folder. Default <c>tensorboard</c>.</summary>
    public string TensorboardFolderName { get; set; } = "tensorboard";

    /// <summary>
    /// Creates the log's <see cref="System.Diagnostics.Metrics.Meter"/> (for dependency injection, pass
    /// <c>IMeterFactory</c>'s <c>Create</c>); <see langword="null"/> creates a plain <c>new Meter("Agentic.Rl")</c>
    /// that the log disposes.
    /// </summary>
    public System.Diagnostics.Metrics.IMeterFactory? MeterFactory { get; set; }

    /// <summary>Clock of the TensorBoard wall times. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
