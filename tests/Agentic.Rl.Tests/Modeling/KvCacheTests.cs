using Agentic.Rl.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Agentic.Rl.Tests.Modeling;

public class KvCacheTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(3, true)]
    public void Incremental_decoding_matches_full_recomputation(int previousTokens, bool sinks = false)
    {
        using var model = TinyModels.RandomizeSinks(new MoeCausalLM(WithPreviousTokens(previousTokens) with { AttentionSinks = sinks }, seed: 7), new Generator(21));
        model.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var ids = randint(0, 64, [2, 20], generator: new Generator(11), dtype: int64);
        var full = model.forward(new CausalLMInput(ids)).Logits;

        using var cache = new KvCache(model.Config.NumHiddenLayers);
        var steps = new List<Tensor> { model.forward(new CausalLMInput(ids[.., ..8], Cache: cache)).Logits };
        for (int i = 8; i < 20; i++)
        {
            steps.Add(model.forward(new CausalLMInput(ids[.., i..(i + 1)], Cache: cache)).Logits);
        }
        var incremental = cat(steps, 1);
        var diff = (full - incremental).abs().max().item<float>();
        Assert.True(diff < 1e-4, $"max abs logit diff {diff}");

        // From a one-token prefill: the cache's window starts with "none" before the first token.
        using var fromOne = new KvCache(model.Config.NumHiddenLayers);
        var single = new List<Tensor>();
        for (int i = 0; i < 20; i++)
        {
            single.Add(model.forward(new CausalLMInput(ids[.., i..(i + 1)], Cache: fromOne)).Logits);
        }
        var oneByOne = (full - cat(single, 1)).abs().max().item<float>();
        Assert.True(oneByOne < 1e-4, $"one token at a time: max abs logit diff {oneByOne}");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(3, true)]
    public void Left_padded_batch_matches_each_unpadded_sequence(int previousTokens, bool sinks = false)
    {
        using var model = TinyModels.RandomizeSinks(new MoeCausalLM(WithPreviousTokens(previousTokens) with { AttentionSinks = sinks }, seed: 8), new Generator(21));
        model.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        long[] a = [5, 6, 7, 8, 9, 10];
        long[] b = [11, 12, 13];
        // Row 1 is left-padded with three pad tokens (id 0, masked out); a pad token's id must not leak into the
        // previous-token embeddings of the real positions after it.
        var ids = tensor(new long[] { 5, 6, 7, 8, 9, 10, 0, 0, 0, 11, 12, 13 }).reshape(2, 6);
        var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1 }).reshape(2, 6);

        using var cache = new KvCache(model.Config.NumHiddenLayers);
        var prefill = model.forward(new CausalLMInput(ids, mask, Cache: cache)).Logits;
        var next = tensor(new long[] { 20, 21 }).reshape(2, 1);
        var mask2 = cat([mask, ones(2, 1, dtype: int64)], 1);
        var step = model.forward(new CausalLMInput(next, mask2, Cache: cache)).Logits;

        var refA = model.forward(new CausalLMInput(tensor(a.Append(20).ToArray()).unsqueeze(0))).Logits;
        var refB = model.forward(new CausalLMInput(tensor(b.Append(21).ToArray()).unsqueeze(0))).Logits;

        Assert.True((prefill[0] - refA[0, ..6]).abs().max().item<float>() < 1e-4);
        Assert.True((prefill[1, 3..] - refB[0, ..3]).abs().max().item<float>() < 1e-4);
        Assert.True((step[0, 0] - refA[0, 6]).abs().max().item<float>() < 1e-4);
        Assert.True((step[1, 0] - refB[0, 3]).abs().max().item<float>() < 1e-4);

        // Dropping a row from the cache keeps the other row's state, its last token included.
        cache.SelectRows(tensor(new long[] { 1 }));
        var after = model.forward(new CausalLMInput(tensor(new long[] { 22 }).reshape(1, 1), cat([mask2[1..], ones(1, 1, dtype: int64)], 1), Cache: cache)).Logits;
        var refB2 = model.forward(new CausalLMInput(tensor(b.Append(21).Append(22).ToArray()).unsqueeze(0))).Logits;
        Assert.True((after[0, 0] - refB2[0, 4]).abs().max().item<float>() < 1e-4);
    }

    [Fact]
    public void Decoding_across_buffer_growth_and_row_selection_matches_full_recomputation()
    {
        // More new positions than the buffer's spare room, in chunks of 1 and 5, with a row dropped half way.
        var config = TinyModels.Config() with { MaxPositionEmbeddings = 2 * KvCache.GrowthPositions + 16, PreviousTokenEmbedding = true };
        using var model = new MoeCausalLM(config, seed: 12);
        model.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        int total = config.MaxPositionEmbeddings;
        var ids = randint(0, 64, [3, total], generator: new Generator(13), dtype: int64);
        var full = model.forward(new CausalLMInput(ids)).Logits;

        using var cache = new KvCache(model.Config.NumHiddenLayers);
        var rows = new long[] { 0, 1, 2 };
        int position = 0;
        while (position < total)
        {
            int step = position == 0 ? 7 : position % 2 == 0 ? 1 : Math.Min(5, total - position);
            if (position > KvCache.GrowthPositions && rows.Length == 3)
            {
                rows = [0, 2];
                cache.SelectRows(tensor(new long[] { 0, 2 }));
            }
            var index = tensor(rows);
            var logits = model.forward(new CausalLMInput(ids.index_select(0, index)[.., position..(position + step)], Cache: cache)).Logits;
            var expected = full.index_select(0, index)[.., position..(position + step)];
            var diff = (logits - expected).abs().max().item<float>();
            Assert.True(diff < 1e-4, $"positions {position}..{position + step}: max abs logit diff {diff}");
            position += step;
        }
        Assert.Equal(total, cache.Length);
    }

    [Fact]
    public void With_gradients_the_new_positions_receive_them_through_the_cache()
    {
        using var model = new MoeCausalLM(TinyModels.Config(), seed: 14);
        using var scope = NewDisposeScope();
        var ids = randint(0, 64, [2, 12], generator: new Generator(15), dtype: int64);
        using var cache = new KvCache(model.Config.NumHiddenLayers);
        using (no_grad()) model.forward(new CausalLMInput(ids[.., ..8], Cache: cache));
        var logits = model.forward(new CausalLMInput(ids[.., 8..], Cache: cache)).Logits;
        using (no_grad())
        {
            var full = model.forward(new CausalLMInput(ids)).Logits[.., 8..];
            Assert.True((logits - full).abs().max().item<float>() < 1e-4);
        }
        logits.sum().backward();
        var grad = model.named_parameters().Single(p => p.name == "layers.0.self_attn.k_proj.weight").parameter.grad;
        Assert.NotNull(grad);
        Assert.True(grad.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Last_position_logits_are_the_last_slice_of_the_full_logits_and_leave_the_cache_the_same()
    {
        using var model = new MoeCausalLM(TinyModels.Config() with { PreviousTokenEmbedding = true }, seed: 17);
        model.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var ids = tensor(new long[] { 5, 6, 7, 8, 9, 10, 0, 0, 0, 11, 12, 13 }).reshape(2, 6);
        var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1 }).reshape(2, 6);
        using var fullCache = new KvCache(model.Config.NumHiddenLayers);
        using var lastCache = new KvCache(model.Config.NumHiddenLayers);
        var full = model.forward(new CausalLMInput(ids, mask, Cache: fullCache)).Logits;
        var last = model.forward(new CausalLMInput(ids, mask, Cache: lastCache) { LastPositionLogitsOnly = true }).Logits;
        Assert.Equal([2L, 1L, model.Config.VocabSize], last.shape);
        Assert.True((full[.., ^1..] - last).abs().max().item<float>() < 1e-5);

        // The next step decodes the same from either cache.
        var next = tensor(new long[] { 20, 21 }).reshape(2, 1);
        var mask2 = cat([mask, ones(2, 1, dtype: int64)], 1);
        var a = model.forward(new CausalLMInput(next, mask2, Cache: fullCache)).Logits;
        var b = model.forward(new CausalLMInput(next, mask2, Cache: lastCache) { LastPositionLogitsOnly = true }).Logits;
        Assert.True((a - b).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void Appending_a_different_number_of_rows_is_refused()
    {
        using var model = new MoeCausalLM(TinyModels.Config(), seed: 16);
        model.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var cache = new KvCache(model.Config.NumHiddenLayers);
        model.forward(new CausalLMInput(randint(0, 64, [2, 4], dtype: int64), Cache: cache));
        var error = Assert.Throws<ArgumentException>(() => model.forward(new CausalLMInput(randint(0, 64, [1, 1], dtype: int64), Cache: cache)));
        Assert.Contains("select rows", error.Message);
    }

    [Fact]
    public void The_previous_token_embedding_is_one_extra_table_with_a_none_row()
    {
        using var plain = new MoeCausalLM(TinyModels.Config(), seed: 9);
        using var shifted = new MoeCausalLM(TinyModels.Config() with { PreviousTokenEmbedding = true }, seed: 9);
        Assert.Equal(plain.ParameterCount + (TinyModels.Config().VocabSize + 1) * TinyModels.Config().HiddenSize, shifted.ParameterCount);
        Assert.Contains("embed_previous.weight", shifted.state_dict().Keys);
        Assert.DoesNotContain("embed_previous.weight", plain.state_dict().Keys);
    }

    [Fact]
    public void A_window_of_three_adds_a_table_per_earlier_token()
    {
        using var one = new MoeCausalLM(WithPreviousTokens(1), seed: 9);
        using var three = new MoeCausalLM(WithPreviousTokens(3), seed: 9);
        Assert.Equal(one.ParameterCount + 2 * (TinyModels.Config().VocabSize + 1) * TinyModels.Config().HiddenSize, three.ParameterCount);
        Assert.Contains("embed_earlier.0.weight", three.state_dict().Keys);
        Assert.Contains("embed_earlier.1.weight", three.state_dict().Keys);
        Assert.DoesNotContain("embed_earlier.0.weight", one.state_dict().Keys);
        var error = Assert.Throws<ArgumentException>(() => new MoeCausalLM(WithPreviousTokens(1) with { PreviousTokenWindow = 0 }));
        Assert.Contains("previous_token_window", error.Message);
    }

    [Fact]
    public void Attention_sinks_add_one_logit_per_head_and_at_minus_infinity_change_nothing()
    {
        var config = WithPreviousTokens(3);
        using var plain = new MoeCausalLM(config, seed: 12);
        using var sunk = new MoeCausalLM(config with { AttentionSinks = true }, seed: 12);
        Assert.Equal(plain.ParameterCount + config.NumHiddenLayers * config.NumAttentionHeads, sunk.ParameterCount);
        Assert.Contains("layers.0.self_attn.sinks", sunk.state_dict().Keys);
        Assert.DoesNotContain(plain.state_dict().Keys, k => k.EndsWith(".sinks", StringComparison.Ordinal));
        plain.eval();
        sunk.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        // Same weights, sinks at -inf: the sink's column gets no share and the attention is the plain softmax.
        foreach (var (name, p) in sunk.named_parameters())
        {
            if (name.EndsWith(".sinks", StringComparison.Ordinal)) p.fill_(float.NegativeInfinity);
            else p.copy_(plain.state_dict()[name]);
        }
        foreach (var (name, buffer) in sunk.named_buffers()) buffer.copy_(plain.state_dict()[name]);
        var ids = randint(0, 64, [2, 12], generator: new Generator(3), dtype: int64);
        var diff = (plain.forward(new CausalLMInput(ids)).Logits - sunk.forward(new CausalLMInput(ids)).Logits).abs().max().item<float>();
        Assert.True(diff < 1e-5, $"max abs logit diff {diff}");
        // A finite sink takes a share of every row, so the logits move.
        foreach (var (_, p) in TinyModels.Sinks(sunk)) p.fill_(2f);
        var moved = (plain.forward(new CausalLMInput(ids)).Logits - sunk.forward(new CausalLMInput(ids)).Logits).abs().max().item<float>();
        Assert.True(moved > 1e-3, $"max abs logit diff {moved}");
    }

    [Fact]
    public void Attention_sinks_receive_gradients_in_the_causal_and_the_masked_path()
    {
        using var model = new MoeCausalLM(WithPreviousTokens(3) with { AttentionSinks = true }, seed: 13);
        using var scope = NewDisposeScope();
        var ids = randint(0, 64, [2, 10], generator: new Generator(5), dtype: int64);
        var mask = ones(2, 10, dtype: int64);
        mask[0, ..3] = 0; // left padding: the masked path
        foreach (var input in new[] { new CausalLMInput(ids), new CausalLMInput(ids, mask) })
        {
            model.zero_grad();
            model.forward(input).Logits.log_softmax(-1)[.., .., 0].mean().backward();
            foreach (var (name, p) in TinyModels.Sinks(model))
            {
                var grad = p.grad ?? throw new Xunit.Sdk.XunitException($"{name} has no gradient");
                Assert.True(grad.isfinite().all().item<bool>(), $"{name} gradient is not finite");
                Assert.True(grad.abs().sum().item<float>() > 0, $"{name} gradient is zero");
            }
        }
    }

    private static MoeTransformerConfig WithPreviousTokens(int window) =>
        TinyModels.Config() with { PreviousTokenEmbedding = window > 0, PreviousTokenWindow = Math.Max(window, 1) };
}

public class MoeCausalLMTests
{
    [Fact]
    public void State_dict_uses_hugging_face_names_with_an_untied_lm_head_and_the_router_bias()
    {
        using var model = new MoeCausalLM(TinyModels.Config(), seed: 1);
        var keys = model.state_dict().Keys.ToHashSet();
        Assert.Contains("embed_tokens.weight", keys);
        Assert.Contains("lm_head.weight", keys);
        Assert.Contains("layers.0.self_attn.q_proj.weight", keys);
        Assert.Contains("layers.1.mlp.experts.3.down_proj.weight", keys);
        Assert.Contains("layers.1.mlp.shared_expert.up_proj.weight", keys);
        Assert.Contains("layers.0.mlp.router.weight", keys);
        Assert.Contains("layers.0.mlp.router_bias", keys);
        Assert.DoesNotContain(keys, k => k.Contains("_counters") || k.Contains("rope"));
        Assert.NotEqual(model.state_dict()["embed_tokens.weight"].Handle, model.state_dict()["lm_head.weight"].Handle);
    }

    [Fact]
    public void Same_seed_gives_identical_weights()
    {
        using var a = new MoeCausalLM(TinyModels.Config(), seed: 5);
        using var b = new MoeCausalLM(TinyModels.Config(), seed: 5);
        using var c = new MoeCausalLM(TinyModels.Config(), seed: 6);
        var sa = a.state_dict();
        var sb = b.state_dict();
        Assert.All(sa, kv => Assert.True(kv.Value.equal(sb[kv.Key]).all().item<bool>(), kv.Key));
        Assert.False(sa["lm_head.weight"].allclose(c.state_dict()["lm_head.weight"]));
    }
}
