using System.CommandLine;
using Agentic.Cli.Jobs;
using Microsoft.Extensions.AI;

namespace Agentic.Cli.Commands;

/// <summary>
/// <c>agentic chat --checkpoint DIR [--onnx]</c>: an interactive conversation with a policy through
/// <c>LocalPolicyChatClient</c>, over the TorchSharp generator or (with <c>--onnx</c>) ONNX Runtime. Reads one user
/// message per stdin line; <c>/reset</c> clears the conversation; <c>/exit</c> or end of input quits.
/// </summary>
internal static class ChatCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint folder", Required = true };
        var onnx = new Option<bool>("--onnx") { Description = "Serve from the ONNX export (model.onnx next to the checkpoint, or exported on the fly to a temporary folder)" };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature (0 = greedy)", DefaultValueFactory = _ => 0f };
        var maxTokens = new Option<int>("--max-new-tokens") { Description = "Token budget of each reply", DefaultValueFactory = _ => 128 };
        var seed = new Option<long?>("--seed") { Description = "Sampling seed (each turn adds its index)" };
        var command = new Command("chat", "Chat with a policy interactively (stdin lines; /reset clears, /exit or end of input quits)")
        {
            checkpoint, onnx, temperature, maxTokens, seed,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var serving = LocalPolicyServing.Open(parse.GetValue(checkpoint)!, parse.GetValue(onnx));
            var input = Console.In;
            var output = Console.Out;
            await output.WriteLineAsync($"agentic chat ({serving.EngineName}{(serving.ModelPath is { } m ? $", {m}" : "")}); /reset clears the conversation, /exit quits");
            var history = new List<ChatMessage>();
            int turn = 0;
            while (!cancellationToken.IsCancellationRequested)
            {
                await output.WriteAsync("> ");
                await output.FlushAsync(cancellationToken);
                var line = await input.ReadLineAsync(cancellationToken);
                if (line is null) break;
                line = line.Trim();
                if (line.Length == 0) continue;
                if (line.Equals("/exit", StringComparison.OrdinalIgnoreCase) || line.Equals("/quit", StringComparison.OrdinalIgnoreCase)) break;
                if (line.Equals("/reset", StringComparison.OrdinalIgnoreCase))
                {
                    history.Clear();
                    await output.WriteLineAsync("(conversation cleared)");
                    continue;
                }
                history.Add(new ChatMessage(ChatRole.User, line));
                var options = new ChatOptions
                {
                    Temperature = parse.GetValue(temperature),
                    MaxOutputTokens = parse.GetValue(maxTokens),
                    Seed = parse.GetValue(seed) is { } s ? s + turn : null,
                };
                turn++;
                ChatResponse? response = null;
                while (response is null)
                {
                    try
                    {
                        response = await serving.Client.GetResponseAsync(history, options, cancellationToken);
                    }
                    catch (ArgumentException) when (history.Count > 1)
                    {
                        // The conversation outgrew the model's positions: forget the oldest exchange and retry.
                        history.RemoveRange(0, Math.Min(2, history.Count - 1));
                    }
                    catch (ArgumentException e)
                    {
                        await output.WriteLineAsync($"error: {e.Message}");
                        history.Clear();
                        break;
                    }
                }
                if (response is null) continue;
                history.AddRange(response.Messages);
                await output.WriteLineAsync(response.Text);
                await output.WriteLineAsync($"[{response.Usage?.OutputTokenCount ?? 0} tokens, {response.FinishReason?.Value ?? "stop"}]");
            }
            return 0;
        });
        return command;
    }
}
