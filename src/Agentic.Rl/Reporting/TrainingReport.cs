using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Agentic.Rl.Reporting;

/// <summary>Writes the report of a training run: Markdown for people, <c>report.json</c> for scripts.</summary>
public static class TrainingReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>
    /// Writes a Markdown report: title, command, the suites table (SFT vs RL, clean and noisy, with deltas in
    /// percentage points and 95% intervals when given), figures, configuration, the plot and the notes.
    /// Written atomically (temporary file, then rename).
    /// </summary>
    /// <param name="path">Destination file.</param>
    /// <param name="data">The report's content.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void WriteMarkdown(string path, TrainingReportData data)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(data);
        WriteAtomically(path, Encoding.UTF8.GetBytes(ToMarkdown(data)));
    }

    /// <summary>
    /// Writes the report as JSON, atomically (temporary file, then rename). Shape:
    /// <c>{"title": ..., "command": ..., "suites": {"NAME": {"sft": {"clean": x, "noisy": y}, "rl": {"clean": x,
    /// "noisy": y}}}, "episodes": {"NAME": n}, "figures": {...}, "config": {...}, "plot_file": ..., "notes": [...]}</c>.
    /// Non-finite numbers are written as <c>null</c>.
    /// </summary>
    /// <param name="path">Destination file (conventionally <c>report.json</c>).</param>
    /// <param name="data">The report's content.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void WriteJson(string path, TrainingReportData data)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(data);

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("title", data.Title);
            json.WriteString("command", data.Command);

            json.WriteStartObject("suites");
            foreach (var suite in data.Suites)
            {
                json.WriteStartObject(suite.Suite);
                WritePair(json, "sft", suite.SftClean, suite.SftNoisy);
                WritePair(json, "rl", suite.RlClean, suite.RlNoisy);
                json.WriteEndObject();
            }
            json.WriteEndObject();

            // The paired intervals of RL minus SFT sit beside "suites", whose shape is fixed by the issue.
            var paired = data.Suites.Where(x => x.CleanDeltaCi is not null || x.NoisyDeltaCi is not null).ToArray();
            if (paired.Length > 0)
            {
                json.WriteStartObject("delta_ci");
                foreach (var suite in paired)
                {
                    json.WriteStartObject(suite.Suite);
                    WriteInterval(json, "clean", suite.CleanDeltaCi);
                    WriteInterval(json, "noisy", suite.NoisyDeltaCi);
                    json.WriteEndObject();
                }
                json.WriteEndObject();
            }

            json.WriteStartObject("episodes");
            foreach (var suite in data.Suites)
            {
                json.WriteNumber(suite.Suite, suite.Episodes);
            }
            json.WriteEndObject();

            json.WriteStartObject("figures");
            foreach (var (name, value) in data.Figures)
            {
                WriteNumber(json, name, value);
            }
            json.WriteEndObject();

            json.WriteStartObject("config");
            foreach (var (name, value) in data.Config)
            {
                json.WriteString(name, value);
            }
            json.WriteEndObject();

            if (data.PlotFile is null)
            {
                json.WriteNull("plot_file");
            }
            else
            {
                json.WriteString("plot_file", data.PlotFile);
            }

            json.WriteStartArray("notes");
            foreach (var note in data.Notes)
            {
                json.WriteStringValue(note);
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        WriteAtomically(path, buffer.ToArray());
    }

    internal static string ToMarkdown(TrainingReportData data)
    {
        var md = new StringBuilder();
        md.Append("# ").Append(data.Title).Append("\n\n");
        if (!string.IsNullOrWhiteSpace(data.Command))
        {
            md.Append("```\n").Append(data.Command).Append("\n```\n\n");
        }

        md.Append("## Results\n\n");
        if (data.Suites.Count == 0)
        {
            md.Append("No suites were evaluated.\n\n");
        }
        else
        {
            md.Append("| suite | episodes | SFT clean | RL clean | Δ clean | SFT noisy | RL noisy | Δ noisy |\n");
            md.Append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
            foreach (var s in data.Suites)
            {
                md.Append("| ").Append(Cell(s.Suite))
                  .Append(" | ").Append(s.Episodes.ToString(Invariant))
                  .Append(" | ").Append(Rate(s.SftClean, s.SftCleanCi))
                  .Append(" | ").Append(Rate(s.RlClean, s.RlCleanCi))
                  .Append(" | ").Append(Delta(s.CleanDelta, s.CleanDeltaCi))
                  .Append(" | ").Append(Rate(s.SftNoisy, s.SftNoisyCi))
                  .Append(" | ").Append(Rate(s.RlNoisy, s.RlNoisyCi))
                  .Append(" | ").Append(Delta(s.NoisyDelta, s.NoisyDeltaCi))
                  .Append(" |\n");
            }
            md.Append("\nSuccess rates in percent; brackets give 95% Wilson intervals where known; Δ is RL minus SFT in percentage points, "
                + "its brackets the 95% interval of that difference over the same tasks and seeds (Newcombe's paired method) where known: "
                + "a difference whose interval contains 0 is within the noise of this many episodes.\n\n");
        }

        if (data.Figures.Count > 0)
        {
            md.Append("## Figures\n\n| figure | value |\n|---|---:|\n");
            foreach (var (name, value) in data.Figures)
            {
                md.Append("| ").Append(Cell(name)).Append(" | ").Append(value.ToString("G6", Invariant)).Append(" |\n");
            }
            md.Append('\n');
        }

        if (!string.IsNullOrEmpty(data.PlotFile))
        {
            md.Append("## Training curves\n\n![training curves](").Append(data.PlotFile.Replace('\\', '/')).Append(")\n\n");
        }

        if (data.Config.Count > 0)
        {
            md.Append("## Configuration\n\n| setting | value |\n|---|---|\n");
            foreach (var (name, value) in data.Config)
            {
                md.Append("| ").Append(Cell(name)).Append(" | ").Append(Cell(value)).Append(" |\n");
            }
            md.Append('\n');
        }

        if (data.Notes.Count > 0)
        {
            md.Append("## Notes\n\n");
            foreach (var note in data.Notes)
            {
                md.Append("- ").Append(note.ReplaceLineEndings(" ")).Append('\n');
            }
            md.Append('\n');
        }
        return md.ToString();
    }

    private static string Cell(string text) => text.Replace("|", "\\|").ReplaceLineEndings(" ");

    private static string Rate(double rate, ConfidenceInterval? ci)
    {
        var text = (rate * 100).ToString("F1", Invariant);
        return ci is { } c
            ? $"{text} [{(c.Lower * 100).ToString("F1", Invariant)}, {(c.Upper * 100).ToString("F1", Invariant)}]"
            : text;
    }

    private static string Delta(double delta, ConfidenceInterval? ci)
    {
        static string Points(double x) => (x * 100).ToString("+0.0;-0.0;0.0", Invariant);
        return ci is { } c ? $"{Points(delta)} [{Points(c.Lower)}, {Points(c.Upper)}]" : Points(delta);
    }

    private static void WriteInterval(Utf8JsonWriter json, string name, ConfidenceInterval? interval)
    {
        if (interval is not { } ci) return;
        json.WriteStartArray(name);
        json.WriteNumberValue(ci.Lower);
        json.WriteNumberValue(ci.Upper);
        json.WriteEndArray();
    }

    private static void WritePair(Utf8JsonWriter json, string name, double clean, double noisy)
    {
        json.WriteStartObject(name);
        WriteNumber(json, "clean", clean);
        WriteNumber(json, "noisy", noisy);
        json.WriteEndObject();
    }

    private static void WriteNumber(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumber(name, value);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
