using System.Text.Json;
using Agentic.Cli.Commands;

namespace Agentic.Cli.Tests;

/// <summary>Every command runs end to end with a tiny budget, so the main job cannot silently break.</summary>
[Collection("console")]
public sealed class CommandSmokeTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "agentic-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static int Run(params string[] args) => AgenticCommandLine.Build().Parse(args).Invoke();

    private static JsonElement ReadJson(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    [Fact]
    public void Sft_then_generate_with_a_tiny_budget()
    {
        var output = Path.Combine(_root, "sft");
        var json = Path.Combine(_root, "sft.json");
        Assert.Equal(0, Run("sft", "--task", "addition", "--out", output, "--steps", "3", "--batch-size", "4",
            "--train-examples", "64", "--heldout", "5", "--eval-every", "0", "--json", json));

        var figures = ReadJson(json);
        double match = figures.GetProperty("heldout_exact_match").GetDouble();
        Assert.InRange(match, 0, 1);
        Assert.True(figures.GetProperty("seconds").GetDouble() > 0);
        Assert.Equal(3, figures.GetProperty("steps").GetInt32());
        Assert.True(File.Exists(Path.Combine(output, "checkpoint", "model.safetensors")));

        Assert.Equal(0, Run("generate", "--checkpoint", Path.Combine(output, "checkpoint"), "--prompt", "What is 1+2?",
            "--max-new-tokens", "4", "--logprobs"));

        // Export to ONNX (with the parity check) and compare the engines with a tiny budget.
        var onnx = Path.Combine(_root, "onnx");
        // Parity is covered by the Rl export tests and by bench inference below; the smoke test skips the re-check.
        Assert.Equal(0, Run("export-onnx", "--checkpoint", Path.Combine(output, "checkpoint"), "--out", onnx, "--verify", "false"));
        Assert.True(File.Exists(Path.Combine(onnx, "model.onnx")));
        var benchJson = Path.Combine(_root, "bench-inference.json");
        Assert.Equal(0, Run("bench", "inference", "--checkpoint", Path.Combine(output, "checkpoint"), "--prompt-tokens", "4", "--new-tokens", "4",
            "--repeats", "1", "--json", benchJson));
        var bench = ReadJson(benchJson);
        Assert.True(bench.GetProperty("onnx_vs_torchsharp_decode_ratio_batch1").GetDouble() > 0);
        Assert.True(bench.GetProperty("max_abs_logit_diff").GetDouble() < 1e-3);
        var prefixJson = Path.Combine(_root, "bench-prefix.json");
        Assert.Equal(0, Run("bench", "prefix", "--policy", Path.Combine(output, "checkpoint"), "--suite", "tooluse", "--episodes", "2", "--max-turns", "3",
            "--repeats", "1", "--json", prefixJson));
        var prefix = ReadJson(prefixJson);
        Assert.Equal(2, prefix.GetProperty("episodes").GetInt32());
        Assert.True(prefix.GetProperty("prefix_reuse_speedup").GetDouble() > 0);
        Assert.InRange(prefix.GetProperty("reused_prompt_token_share").GetDouble(), 0, 1);

        // The trained checkpoint as an agent policy (a tiny budget: it only has to run end to end).
        var evalJson = Path.Combine(_root, "eval-checkpoint.json");
        Assert.Equal(0, Run("eval", "--policy", Path.Combine(output, "checkpoint"), "--suite", "longcontext", "--episodes", "1", "--json", evalJson));
        Assert.Equal(1, ReadJson(evalJson).GetProperty("episodes").GetInt32());
        // Through ONNX Runtime, in batches of one that run concurrently.
        Assert.Equal(0, Run("eval", "--policy", Path.Combine(output, "checkpoint"), "--suite", "tooluse", "--episodes", "3", "--max-turns", "2", "--batch", "1",
            "--onnx", "--noise", "high", "--json", evalJson));
        Assert.Equal(3, ReadJson(evalJson).GetProperty("noisy").GetProperty("episodes").GetInt32());
    }

    [Theory]
    [InlineData("tooluse")]
    [InlineData("searchqa")]
    [InlineData("longcontext")]
    [InlineData("textworld")]
    [InlineData("shop")]
    public void Eval_scores_the_expert_and_the_random_policy(string suite)
    {
        var expert = Path.Combine(_root, $"{suite}-expert.json");
        var random = Path.Combine(_root, $"{suite}-random.json");
        var lines = Path.Combine(_root, $"{suite}.jsonl");
        Assert.Equal(0, Run("eval", "--policy", "expert", "--suite", suite, "--episodes", "10", "--json", expert, "--trajectories", lines));
        Assert.Equal(0, Run("eval", "--policy", "random", "--suite", suite, "--episodes", "10", "--json", random));
        Assert.Equal(1.0, ReadJson(expert).GetProperty("success").GetDouble());
        Assert.Equal(10, ReadJson(expert).GetProperty("episodes").GetInt32());
        Assert.True(ReadJson(random).GetProperty("success").GetDouble() <= 0.1);
        Assert.Equal(10, File.ReadAllLines(lines).Length);
        Assert.Equal(0, Run("eval", "--list"));
    }

    [Fact]
    public void Sft_on_a_suite_with_a_tiny_budget()
    {
        var json = Path.Combine(_root, "sft-suite.json");
        Assert.Equal(0, Run("sft", "--task", "searchqa", "--out", Path.Combine(_root, "sft-suite"), "--demos", "8", "--steps", "2",
            "--batch-size", "2", "--eval-episodes", "1", "--eval-max-turns", "1", "--json", json));
        var figures = ReadJson(json);
        Assert.Equal(2, figures.GetProperty("steps").GetInt32());
        Assert.InRange(figures.GetProperty("success").GetDouble(), 0, 1);
        Assert.True(figures.GetProperty("demonstrations").GetInt32() > 0);
    }

    [Fact]
    public void Eval_with_noise_reports_clean_and_noisy_side_by_side()
    {
        var json = Path.Combine(_root, "noisy.json");
        Assert.Equal(0, Run("eval", "--policy", "expert", "--suite", "tooluse", "--episodes", "10", "--noise", "high", "--json", json));
        var figures = ReadJson(json);
        Assert.Equal("high", figures.GetProperty("noise").GetString());
        Assert.Equal(1.0, figures.GetProperty("clean").GetProperty("success").GetDouble());
        Assert.True(figures.GetProperty("noisy").GetProperty("noise_events").GetDouble() > 0);
        Assert.False(figures.GetProperty("noise_per_task").GetBoolean());

        var perTask = Path.Combine(_root, "noisy-per-task.json");
        Assert.Equal(0, Run("eval", "--policy", "expert", "--suite", "tooluse", "--episodes", "4", "--k", "2", "--noise", "high", "--noise-per-task", "--json", perTask));
        Assert.True(ReadJson(perTask).GetProperty("noise_per_task").GetBoolean());
        Assert.Equal(2, ReadJson(perTask).GetProperty("noisy").GetProperty("k").GetInt32());
    }

    [Fact]
    public void Bench_train_writes_its_figures()
    {
        var json = Path.Combine(_root, "bench.json");
        Assert.Equal(0, Run("bench", "train", "--steps", "2", "--warmup", "1", "--batch-size", "4", "--json", json));
        var figures = ReadJson(json);
        Assert.True(figures.GetProperty("tokens_per_second").GetDouble() > 0);
        Assert.True(figures.GetProperty("step_to_matmul_ratio").GetDouble() > 0);
    }

    [Fact]
    public void Generate_reports_a_missing_checkpoint_as_an_error()
    {
        Assert.NotEqual(0, Run("generate", "--checkpoint", Path.Combine(_root, "nothing-here"), "--prompt", "hi"));
    }
}
