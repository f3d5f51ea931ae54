using System.Text.Json;
using Agentic.Cli.Commands;

namespace Agentic.Cli.Tests;

/// <summary><c>agentic chat</c> and <c>agentic experiment heavy-thinking</c> run end to end on a tiny checkpoint.</summary>
[Collection("console")]
public sealed class ServingCommandTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "agentic-serving-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static int Run(params string[] args) => AgenticCommandLine.Build().Parse(args).Invoke();

    private string TinyCheckpoint()
    {
        var output = Path.Combine(_root, "sft");
        Assert.Equal(0, Run("sft", "--task", "addition", "--out", output, "--steps", "2", "--batch-size", "4",
            "--train-examples", "32", "--heldout", "2", "--eval-every", "0"));
        return Path.Combine(output, "checkpoint");
    }

    private static string Chat(string stdin, params string[] args)
    {
        var originalIn = Console.In;
        var originalOut = Console.Out;
        using var input = new StringReader(stdin);
        using var output = new StringWriter();
        Console.SetIn(input);
        Console.SetOut(output);
        try
        {
            Assert.Equal(0, Run(["chat", .. args]));
        }
        finally
        {
            Console.SetIn(originalIn);
            Console.SetOut(originalOut);
        }
        return output.ToString();
    }

    [Fact]
    public void Chat_answers_each_stdin_line_and_stops_on_exit_or_end_of_input()
    {
        var checkpoint = TinyCheckpoint();

        var torch = Chat("What is 1+2?\n/reset\nWhat is 3+4?\n/exit\nnever read\n", "--checkpoint", checkpoint, "--max-new-tokens", "4");
        Assert.Contains("torchsharp", torch, StringComparison.Ordinal);
        Assert.Equal(2, CountOccurrences(torch, " tokens, "));
        Assert.Contains("(conversation cleared)", torch, StringComparison.Ordinal);

        // --onnx with no export next to the checkpoint exports on the fly; end of input ends the loop.
        var onnx = Chat("What is 5+6?\nAnd 7+8?\n", "--checkpoint", checkpoint, "--onnx", "--max-new-tokens", "4", "--temperature", "0.7", "--seed", "3");
        Assert.Contains("onnxruntime", onnx, StringComparison.Ordinal);
        Assert.Equal(2, CountOccurrences(onnx, " tokens, "));
    }

    [Fact]
    public void Experiment_heavy_thinking_writes_accuracy_and_token_cost()
    {
        var checkpoint = TinyCheckpoint();
        foreach (var onnx in new[] { false, true })
        {
            var json = Path.Combine(_root, $"heavy-{onnx}.json");
            // The ONNX run leaves --width at its default (5).
            int width = onnx ? 5 : 3;
            string[] args = ["experiment", "heavy-thinking", "--checkpoint", checkpoint, "--problems", "3", "--max-new-tokens", "6", "--json", json];
            Assert.Equal(0, Run(onnx ? [.. args, "--onnx"] : [.. args, "--width", "3"]));

            var figures = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
            Assert.InRange(figures.GetProperty("single_sample_accuracy").GetDouble(), 0, 1);
            Assert.InRange(figures.GetProperty("heavy_thinking_accuracy").GetDouble(), 0, 1);
            Assert.InRange(figures.GetProperty("summary_accuracy").GetDouble(), 0, 1);
            Assert.Equal(width, figures.GetProperty("width").GetInt32());
            double single = figures.GetProperty("single_sample_tokens").GetDouble();
            double heavy = figures.GetProperty("heavy_thinking_tokens").GetDouble();
            Assert.True(single > 0);
            // Width traces cost width single samples' worth of tokens, give or take the sampled lengths.
            Assert.InRange(heavy, width * (single - 6), width * (single + 6));
            Assert.True(figures.GetProperty("summary_tokens").GetDouble() > heavy);
            Assert.Equal(onnx ? "onnxruntime" : "torchsharp", figures.GetProperty("engine").GetString());
        }
    }

    [Fact]
    public void Experiment_heavy_thinking_rejects_a_zero_width() =>
        Assert.Equal(1, Run("experiment", "heavy-thinking", "--checkpoint", "unused", "--width", "0"));

    private static int CountOccurrences(string text, string value)
    {
        int count = 0;
        for (int i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}
