using System.Diagnostics;
using System.Text.Json;
using Agentic.Cli.Commands;

namespace Agentic.Cli.Tests;

/// <summary>
/// A training run killed at any point (between steps, or while a checkpoint is being written) resumes from its last
/// complete checkpoint and ends with exactly the metrics and weights of an uninterrupted run.
/// </summary>
[Collection("console")]
public sealed class KillAndResumeTests : IDisposable
{
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

    private string Straight()
    {
        var straight = Path.Combine(_root, "straight");
        Assert.Equal(0, Run(Train(straight, Steps)));
        Assert.Equal(Steps, Rewards(straight).Length);
        return straight;
    }

    [Fact]
    public async Task A_process_killed_at_a_random_step_resumes_to_the_uninterrupted_metrics_and_weights()
    {
        var straight = Straight();

        // The same run in its own process, killed (SIGKILL, no cleanup) once a seeded-random number of RL steps were
        // logged: the kill lands anywhere in the next step, possibly inside its checkpoint write.
        int killAfter = new Random(20261126).Next(1, 4);
        var killed = Path.Combine(_root, "killed");
        var cli = typeof(AgenticCommandLine).Assembly.Location;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(cli);
        foreach (var a in Train(killed, 1000)) start.ArgumentList.Add(a);
        using (var process = Process.Start(start)!)
        {
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var deadline = Stopwatch.StartNew();
            while (!process.HasExited && RlLines(killed) < killAfter && deadline.Elapsed < TimeSpan.FromMinutes(3)) await Task.Delay(5);
            Assert.False(process.HasExited, "the run ended before it could be killed");
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        Assert.InRange(RlLines(killed), killAfter, Steps - 1);

        Assert.Equal(0, Run(Train(killed, Steps, resume: true)));
        Assert.Equal(Rewards(straight), Rewards(killed));
        Assert.Equal(Weights(straight), Weights(killed));
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
