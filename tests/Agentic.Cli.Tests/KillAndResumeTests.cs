using System.Diagnostics;
using System.Text.Json;
using Agentic.Cli.Commands;

namespace Agentic.Cli.Tests;

/// <summary>
/// A training run killed at any point (between steps, or while a checkpoint is being written) resumes from its last
/// complete checkpoint and ends with exactly the metrics and weights of an uninterrupted run.
/// </summary>
[Collection("console")]
public sealed class KillAndResumeTests(KillAndResumeTests.StraightRun straightRun) : IDisposable, IClassFixture<KillAndResumeTests.StraightRun>
{
    /// <summary>The uninterrupted run every test compares against (trained once per class).</summary>
    public sealed class StraightRun : IDisposable
    {
        private readonly Lazy<string> _directory = new(() =>
        {
            var straight = Path.Combine(Path.GetTempPath(), "agentic-straight-" + Guid.NewGuid().ToString("N"));
            Assert.Equal(0, Run(Train(straight, Steps)));
            Assert.Equal(Steps, Rewards(straight).Length);
            return straight;
        });

        public string Directory => _directory.Value;

        public void Dispose()
        {
            if (_directory.IsValueCreated && System.IO.Directory.Exists(_directory.Value)) System.IO.Directory.Delete(_directory.Value, recursive: true);
        }
    }

    private const int Steps = 6;

    private static readonly string[] s_tiny =
    [
        "--suites", "searchqa", "--demos", "12", "--sft-steps", "2", "--group-size", "2", "--tasks-per-step", "2",
        "--eval-episodes", "1", "--merges", "64", "--max-positions", "384", "--checkpoint-every", "1",
    ];

    private readonly string _root = Path.Combine(Path.GetTempPath(), "agentic-kill-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static int Run(params string[] args) => AgenticCommandLine.Build().Parse(args).Invoke();

    private static string[] Train(string output, int steps, bool resume = false) =>
        ["train", "--out", output, "--rl-steps", steps.ToString(), .. s_tiny, .. resume ? new[] { "--resume" } : []];

    private static double[] Rewards(string dir) => [.. File.ReadAllLines(Path.Combine(dir, "metrics.jsonl"))
        .Select(l => JsonDocument.Parse(l).RootElement).Where(e => e.GetProperty("phase").GetString() == "rl")
        .Select(e => e.GetProperty("reward_mean").GetDouble())];

    private static int RlLines(string dir)
    {
        var path = Path.Combine(dir, "metrics.jsonl");
        if (!File.Exists(path)) return 0;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Split('\n').Count(l => l.Contains("\"phase\":\"rl\"", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static byte[] Weights(string dir) => File.ReadAllBytes(Path.Combine(dir, "checkpoint", "model.safetensors"));

    private string Straight() => straightRun.Directory;

    private static Process StartChild(string output)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(AgenticCommandLine).Assembly.Location);
        foreach (var a in Train(output, 1000)) start.ArgumentList.Add(a);
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitForRlLinesAsync(Process process, string output, int lines)
    {
        var deadline = Stopwatch.StartNew();
        while (!process.HasExited && RlLines(output) < lines && deadline.Elapsed < TimeSpan.FromMinutes(3)) await Task.Delay(5);
        Assert.False(process.HasExited, "the run ended before it could be stopped");
    }

    [Fact]
    public async Task A_process_killed_at_a_random_step_resumes_to_the_uninterrupted_metrics_and_weights()
    {
        var straight = Straight();

        // The same run in its own process, killed (SIGKILL, no cleanup) once a seeded-random number of RL steps were
        // logged: the kill lands anywhere in the next step, possibly inside its checkpoint write.
        int killAfter = new Random(20261126).Next(1, 4);
        var killed = Path.Combine(_root, "killed");
        using (var process = StartChild(killed))
        {
            await WaitForRlLinesAsync(process, killed, killAfter);
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        Assert.InRange(RlLines(killed), killAfter, Steps - 1);

        Assert.Equal(0, Run(Train(killed, Steps, resume: true)));
        Assert.Equal(Rewards(straight), Rewards(killed));
        Assert.Equal(Weights(straight), Weights(killed));
    }

    [Fact]
    public async Task A_run_stopped_by_SIGTERM_in_the_middle_of_a_step_resumes_to_the_uninterrupted_metrics_and_weights()
    {
        if (OperatingSystem.IsWindows()) return;
        var straight = Straight();

        // SIGTERM (what Ctrl+C and service managers send) half a second after a step was logged lands in the next step's
        // rollouts: the run stops gracefully and checkpoints the state of that step's boundary, not half a step.
        var stopped = Path.Combine(_root, "stopped");
        using (var process = StartChild(stopped))
        {
            await WaitForRlLinesAsync(process, stopped, 2);
            // A step of this budget is about a second of rollouts after a ~0.2 s checkpoint: half a second in is mid-rollout.
            await Task.Delay(500);
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])) await kill.WaitForExitAsync();
            await process.WaitForExitAsync();
        }
        int logged = RlLines(stopped);
        Assert.InRange(logged, 2, Steps - 1);

        Assert.Equal(0, Run(Train(stopped, Steps, resume: true)));
        Assert.Equal(Rewards(straight), Rewards(stopped));
        Assert.Equal(Weights(straight), Weights(stopped));
    }

    [Fact]
    public void A_run_killed_during_each_stage_of_a_checkpoint_write_resumes_to_the_uninterrupted_metrics_and_weights()
    {
        var straight = Straight();

        // What a kill during the write of step 3's checkpoint leaves on disk, at each stage of the atomic write:
        // (a) a partial temporary folder next to the complete step-2 checkpoint; (b) the complete new folder written but
        // the step-2 checkpoint already moved aside, before the new one took its name. The step-3 metrics line was logged.
        foreach (var stage in new[] { "partial-temporary", "between-renames" })
        {
            var run = Path.Combine(_root, stage);
            Assert.Equal(0, Run(Train(run, 2)));
            var checkpoint = Path.Combine(run, "checkpoint");
            var metrics = Path.Combine(run, "metrics.jsonl");
            File.AppendAllLines(metrics, [File.ReadAllLines(metrics).Last(l => l.Contains("\"phase\":\"rl\"", StringComparison.Ordinal)).Replace("\"step\":2,", "\"step\":3,")]);
            var temporary = checkpoint + ".tmp-" + Guid.NewGuid().ToString("N");
            CopyDirectory(checkpoint, temporary);
            if (stage == "partial-temporary")
            {
                File.Delete(Path.Combine(temporary, "manifest.json"));
                var model = Path.Combine(temporary, "model.safetensors");
                var bytes = File.ReadAllBytes(model);
                File.WriteAllBytes(model, bytes[..(bytes.Length / 2)]);
            }
            else
            {
                Directory.Move(checkpoint, checkpoint + ".old-" + Guid.NewGuid().ToString("N"));
                File.WriteAllText(Path.Combine(temporary, "run_state.json"), "{ \"corrupt\": ");
            }

            Assert.Equal(0, Run(Train(run, Steps, resume: true)));
            Assert.Equal(Rewards(straight), Rewards(run));
            Assert.Equal(Weights(straight), Weights(run));
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
