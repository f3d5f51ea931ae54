using System.CommandLine;
using Agentic.Cli.Jobs;
using Agentic.Core.Chat;
using Agentic.Core.Sampling;
using Agentic.Rl.Checkpoints;
using Agentic.Core.Generation;
using Agentic.Rl.Generation;
using Microsoft.Extensions.AI;
using Spectre.Console;

namespace Agentic.Cli.Commands;

/// <summary><c>agentic generate --checkpoint DIR --prompt TEXT</c>: one reply from a trained policy.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint folder", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "The user message", Required = true };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature (0 = greedy)", DefaultValueFactory = _ => 0f };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling mass", DefaultValueFactory = _ => 1f };
        var topK = new Option<int>("--top-k") { Description = "Top-k sampling (0 = off)", DefaultValueFactory = _ => 0 };
        var maxTokens = new Option<int>("--max-new-tokens") { Description = "Most tokens to generate", DefaultValueFactory = _ => 64 };
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed", DefaultValueFactory = _ => 0UL };
        var showLogProbs = new Option<bool>("--logprobs") { Description = "Also print each token's log-probability" };

        var command = new Command("generate", "Generate a reply from a policy checkpoint")
        {
            checkpoint, prompt, temperature, topP, topK, maxTokens, seed, showLogProbs,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var loaded = PolicyCheckpoint.Load(parse.GetValue(checkpoint)!);
            using var model = loaded.Model;
            var template = new ChatTemplate(loaded.Tokenizer);
            var ids = template.Encode([new ChatMessage(ChatRole.User, parse.GetValue(prompt))], addGenerationPrompt: true).Ids;
            var options = new SamplingOptions
            {
                Temperature = parse.GetValue(temperature),
                TopP = parse.GetValue(topP),
                TopK = parse.GetValue(topK),
                MaxNewTokens = parse.GetValue(maxTokens),
                StopTokenIds = template.StopTokenIds,
                Seed = parse.GetValue(seed),
            };
            var result = new PolicyGenerator(model, loaded.Tokenizer.EndOfTextId).Generate([ids], options, cancellationToken)[0];
            Console.WriteLine(AdditionSftJob.DecodeReply(loaded.Tokenizer, template, result.TokenIds));
            if (parse.GetValue(showLogProbs))
            {
                var table = new Table().AddColumns("token", "id", "log-prob");
                for (int i = 0; i < result.TokenIds.Length; i++)
                {
                    table.AddRow(Markup.Escape(loaded.Tokenizer.Decode([result.TokenIds[i]])), result.TokenIds[i].ToString(), result.LogProbs[i].ToString("F4"));
                }
                AnsiConsole.Write(table);
            }
            return Task.FromResult(0);
        });
        return command;
    }
}
