using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;

namespace Agentic.Rl.Reporting;

/// <summary>
/// Records the <see cref="RlStepMetrics"/> of a training run in three places at once: a JSON-lines file
/// (<c>OUTPUT/metrics.jsonl</c>, one object a line, flushed after every record so a killed run keeps its lines), the
/// instruments of the <see cref="Meter"/> named <see cref="MeterName"/> (for OpenTelemetry or <c>dotnet-counters</c>),
/// and TensorBoard event files (<c>OUTPUT/tensorboard</c>, via TorchSharp's <c>SummaryWriter</c>).
/// </summary>
/// <remarks>
/// <para><see cref="Record"/> is thread-safe. TensorBoard scalars are tagged <c>{phase}/{field}</c> (for example
/// <c>rl/reward_mean</c>, <c>rl/extra/format</c>) with the step as global step; null fields are skipped.</para>
/// <para>Instruments: histograms <c>agentic.rl.reward</c>, <c>agentic.rl.loss</c>, <c>agentic.rl.lm_head.grad_norm</c>;
/// counters <c>agentic.rl.gate.decisions</c> (tag <c>fired</c>), <c>agentic.rl.samples</c> (trajectories consumed,
/// the increase of <see cref="RlStepMetrics.Samples"/>); every measurement carries the tag <c>phase</c>.</para>
/// </remarks>
public sealed class TrainingRunLog : IDisposable
{
    /// <summary>Name of the <see cref="Meter"/>: <c>"Agentic.Rl"</c>.</summary>
    public const string MeterName = "Agentic.Rl";

    /// <summary>Serializer options of the metrics file: snake_case property names, NaN and infinities as strings.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.General)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = false,
    };

    private readonly object _gate = new();
    private readonly FileStream _stream;
    private readonly StreamWriter _writer;
    private readonly bool _ownsMeter;
    private readonly Histogram<double> _reward;
    private readonly Histogram<double> _loss;
    private readonly Histogram<double> _gradNorm;
    private readonly Counter<long> _gateDecisions;
    private readonly Counter<long> _samples;
    private readonly TorchSharp.Modules.SummaryWriter? _tensorboard;
    private readonly TimeProvider _time;
    private int _lastSamples;
    private bool _disposed;

    /// <summary>Opens the log on <paramref name="outputDirectory"/> (created when missing).</summary>
    /// <param name="outputDirectory">The run's output folder.</param>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException"><paramref name="outputDirectory"/> is null or empty, or a file name option is empty.</exception>
    /// <exception cref="IOException">The metrics file cannot be opened.</exception>
    /// <exception cref="UnauthorizedAccessException">The output folder is not writable.</exception>
    public TrainingRunLog(string outputDirectory, TrainingRunLogOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputDirectory);
        options ??= new TrainingRunLogOptions();
        ArgumentException.ThrowIfNullOrEmpty(options.MetricsFileName, nameof(options));
        ArgumentNullException.ThrowIfNull(options.TimeProvider, nameof(options));
        _time = options.TimeProvider;

        Directory.CreateDirectory(outputDirectory);
        OutputDirectory = outputDirectory;
        MetricsPath = Path.Combine(outputDirectory, options.MetricsFileName);

        _stream = new FileStream(MetricsPath, options.Append ? FileMode.OpenOrCreate : FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        if (options.Append)
        {
            TruncatePartialLastLine(_stream);
        }
        _writer = new StreamWriter(_stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { NewLine = "\n" };

        if (options.MeterFactory is { } factory)
        {
            Meter = factory.Create(new MeterOptions(MeterName));
        }
        else
        {
            Meter = new Meter(MeterName);
            _ownsMeter = true;
        }
        _reward = Meter.CreateHistogram<double>("agentic.rl.reward", description: "Mean reward of a training step's rollouts.");
        _loss = Meter.CreateHistogram<double>("agentic.rl.loss", description: "Training loss of a step.");
        _gradNorm = Meter.CreateHistogram<double>("agentic.rl.lm_head.grad_norm", description: "L2 norm of the lm_head weight gradient.");
        _gateDecisions = Meter.CreateCounter<long>("agentic.rl.gate.decisions", unit: "{decision}", description: "Gradient gate decisions, tagged fired=true|false.");
        _samples = Meter.CreateCounter<long>("agentic.rl.samples", unit: "{trajectory}", description: "Trajectories consumed.");

        if (options.Tensorboard)
        {
            ArgumentException.ThrowIfNullOrEmpty(options.TensorboardFolderName, nameof(options));
            TensorboardDirectory = Path.Combine(outputDirectory, options.TensorboardFolderName);
            _tensorboard = torch.utils.tensorboard.SummaryWriter(TensorboardDirectory);
        }
    }

    /// <summary>The run's output folder.</summary>
    public string OutputDirectory { get; }

    /// <summary>Full path of the JSON-lines metrics file.</summary>
    public string MetricsPath { get; }

    /// <summary>Folder of the TensorBoard event files; <see langword="null"/> when TensorBoard is off.</summary>
    public string? TensorboardDirectory { get; }

    /// <summary>The meter (named <see cref="MeterName"/>) whose instruments receive every record.</summary>
    public Meter Meter { get; }

    /// <summary>Appends one step: a flushed JSON line, the meter's measurements and the TensorBoard scalars.</summary>
    /// <param name="metrics">The step's figures.</param>
    /// <exception cref="ArgumentNullException"><paramref name="metrics"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The log was disposed.</exception>
    /// <exception cref="IOException">Writing a file failed.</exception>
    public void Record(RlStepMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);

            _writer.Write(JsonSerializer.Serialize(metrics, JsonOptions));
            _writer.Write('\n');
            _writer.Flush();

            var phase = new KeyValuePair<string, object?>("phase", metrics.Phase);
            _reward.Record(metrics.RewardMean, phase);
            _loss.Record(metrics.Loss, phase);
            _gradNorm.Record(metrics.LmHeadGradNorm, phase);
            _gateDecisions.Add(1, phase, new KeyValuePair<string, object?>("fired", metrics.GateFired));
            var consumed = metrics.Samples - _lastSamples;
            if (consumed > 0)
            {
                _samples.Add(consumed, phase);
            }
            _lastSamples = Math.Max(_lastSamples, metrics.Samples);

            if (_tensorboard is not null)
            {
                WriteScalars(_tensorboard, metrics);
            }
        }
    }

    /// <summary>
    /// Reads a metrics file back. A last line without its newline that does not parse (a run killed mid-write) is
    /// skipped; a malformed line anywhere else is an error. Blank lines are ignored. The file may still be open for
    /// writing by a running <see cref="TrainingRunLog"/>.
    /// </summary>
    /// <param name="path">Path of a <c>metrics.jsonl</c> file.</param>
    /// <returns>The records in file order.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A line other than a partial last line is not a valid record.</exception>
    public static IReadOnlyList<RlStepMetrics> ReadJsonl(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var reader = new StreamReader(stream, Encoding.UTF8))
        {
            text = reader.ReadToEnd();
        }

        var lines = text.Split('\n');
        var result = new List<RlStepMetrics>(lines.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            // The last element of Split is the text after the final newline: non-empty only for an unterminated line.
            var unterminated = i == lines.Length - 1;
            try
            {
                var record = JsonSerializer.Deserialize<RlStepMetrics>(line, JsonOptions)
                    ?? throw new InvalidDataException($"{path}:{i + 1}: null record.");
                result.Add(record);
            }
            catch (JsonException ex) when (unterminated)
            {
                _ = ex; // A run killed mid-write: the partial line is dropped.
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{path}:{i + 1}: not a metrics record: {ex.Message}", ex);
            }
        }
        return result;
    }

    /// <summary>Flushes and closes the metrics file and disposes the meter when the log created it.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            _writer.Dispose();
            _stream.Dispose();
            if (_ownsMeter)
            {
                Meter.Dispose();
            }
        }
    }

    private void WriteScalars(TorchSharp.Modules.SummaryWriter writer, RlStepMetrics m)
    {
        // TorchSharp's default wall time is DateTime.Ticks; TensorBoard expects Unix seconds.
        long wallTime = _time.GetUtcNow().ToUnixTimeSeconds();
        var prefix = m.Phase + "/";
        void Add(string name, double? value)
        {
            if (value is { } v)
            {
                writer.add_scalar(prefix + name, (float)v, m.Step, wallTime);
            }
        }

        Add("seconds", m.Seconds);
        Add("samples", m.Samples);
        Add("loss", m.Loss);
        Add("reward_mean", m.RewardMean);
        Add("success_clean", m.SuccessClean);
        Add("success_noisy", m.SuccessNoisy);
        Add("noisy_fraction", m.NoisyFraction);
        Add("lm_head_grad_norm", m.LmHeadGradNorm);
        Add("gate_fired", m.GateFired ? 1 : 0);
        Add("gate_z_score", m.GateZScore);
        Add("reuse_index", m.ReuseIndex);
        Add("kl", m.Kl);
        Add("entropy", m.Entropy);
        Add("clip_fraction", m.ClipFraction);
        if (m.Extra is not null)
        {
            foreach (var (key, value) in m.Extra)
            {
                Add("extra/" + key, value);
            }
        }
    }

    private static void TruncatePartialLastLine(FileStream stream)
    {
        var length = stream.Length;
        if (length == 0)
        {
            return;
        }
        var buffer = new byte[4096];
        var end = length;
        while (end > 0)
        {
            var start = Math.Max(0, end - buffer.Length);
            var count = (int)(end - start);
            stream.Position = start;
            stream.ReadExactly(buffer, 0, count);
            var newline = Array.LastIndexOf(buffer, (byte)'\n', count - 1, count);
            if (newline >= 0)
            {
                stream.SetLength(start + newline + 1);
                stream.Position = stream.Length;
                return;
            }
            end = start;
        }
        stream.SetLength(0);
    }
}
